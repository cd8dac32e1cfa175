import { render } from 'preact';
import { App } from './app';

const root = document.getElementById('app')!;
root.textContent = ''; // the "loading" line of the static page
render(<App />, root);
