import { render } from 'preact';
import { App } from './app.js';

// The page's only script, loaded from /assets/app.js (the daemon's CSP allows no inline code).
const root = document.getElementById('app');
if (root) render(<App />, root);
