// The local demo circuit's handle and its public secret, shared by the registry, the CLI and the pages.
import type { SixzoneSecret } from './sixzone.js';

// The local demo circuit (`[demo] enabled`, on when the registry starts without a config file). Its secret
// is public on purpose: it is printed at start, on the landing page and in the README.

export const DEMO_HANDLE = 'demo';
export const DEMO_SECRET: SixzoneSecret = { symbols: 'DEMO2468' };
