/** The use cases the admin API calls: assembled by the composition root, one instance each. */
import type { ControlServices } from '../control/build-services.ts';

export type AdminServices = ControlServices;
