import { render } from 'preact';
import { App } from './app.js';
import { adoptSessionFromUrl } from './session.js';

// Before the first render: the router reads the hash, which may still hold the login's secret.
adoptSessionFromUrl();

// The page's only script, loaded from /assets/app.js (the daemon's CSP allows no inline code).
const root = document.getElementById('app');
if (root) render(<App />, root);
