'use strict';
// Generated from src/config/display-rule.ts by scripts/sync-host-files.ts: do not edit.
function isShown(field, values, fields) {
  const show = field.displayOptions && field.displayOptions.show;
  if (!show) return true;
  return Object.keys(show).every((other) => {
    let value = values[other];
    if (value === undefined || value === null || value === '') {
      const described = fields.find((candidate) => candidate.name === other);
      value = described ? described.default : undefined;
    }
    return show[other].includes(value);
  });
}

module.exports = { isShown };
