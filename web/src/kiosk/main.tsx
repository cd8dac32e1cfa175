import { render } from 'preact';
import { Kiosk } from './app';

// Offline start: the service worker keeps this page and its files (kiosk-sw.js, scope /kiosk).
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/kiosk-sw.js', { scope: '/kiosk' }).catch(() => undefined);
}

const root = document.getElementById('kiosk')!;
root.textContent = '';
render(<Kiosk />, root);
