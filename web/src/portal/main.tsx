import { render } from 'preact';
import '../styles.css';
import './portal.css';
import { PortalApp } from './portal-app.tsx';
import { restorePortalSession } from './portal-session.ts';

void restorePortalSession();
const root = document.getElementById('app');
if (root !== null) render(<PortalApp />, root);
