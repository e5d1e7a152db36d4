import { startSession } from './api.js';
import { connectionsPage } from './connections.js';
import { batchesPage } from './batches.js';
import { archivePage } from './archive.js';

const PAGES = { connections: connectionsPage, batches: batchesPage, archive: archivePage };

let leave = () => {};

async function show() {
  const name = location.hash.slice(1).split('/')[0] || 'connections';
  const page = PAGES[name] ?? connectionsPage;
  for (const link of document.querySelectorAll('nav a'))
    link.classList.toggle('active', link.dataset.page === name);
  leave();
  const main = document.getElementById('main');
  main.replaceChildren();
  leave = (await page(main, location.hash.slice(1).split('/').slice(1))) ?? (() => {});
}

try {
  const session = await startSession();
  document.getElementById('version').textContent = `version ${session.version}`;
  window.addEventListener('hashchange', show);
  await show();
} catch (error) {
  const message = document.createElement('p');
  message.id = 'no-token';
  message.className = 'result bad';
  message.textContent = error.message;
  document.getElementById('main').replaceChildren(message);
}
