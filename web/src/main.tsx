import { render } from 'preact';
import './styles.css';
import { App } from './app.tsx';
import { restoreSession } from './session.ts';

void restoreSession();
const root = document.getElementById('app');
if (root !== null) render(<App />, root);
