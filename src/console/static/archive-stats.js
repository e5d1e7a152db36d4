// An archive's totals and its folders, each folder downloadable as mbox.
import { bytes, downloadLink, el, table } from './api.js';

export function archiveStats(archive, base) {
  const mbox = (f) =>
    downloadLink(
      `${base}/mbox?account=${encodeURIComponent(f.account)}&folder=${encodeURIComponent(f.folder)}`,
      'mbox',
    );
  const { stats } = archive;
  return [
    el(
      'p',
      {},
      `${stats.messages} messages, ${bytes(stats.bytes)} (${bytes(stats.storedBytes)} stored)`,
    ),
    table(
      [
        { label: 'Account', value: (f) => f.account },
        { label: 'Folder', value: (f) => f.folder },
        { label: 'Messages', value: (f) => f.messages },
        { label: 'Size', value: (f) => bytes(f.bytes) },
        { label: 'From', value: (f) => f.firstDate ?? '' },
        { label: 'To', value: (f) => f.lastDate ?? '' },
        { label: 'Download', value: mbox },
      ],
      stats.folders,
    ),
  ];
}
