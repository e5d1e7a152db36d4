/**
 * The archived message's HTML as the console shows it: nothing in it may fetch from anywhere,
 * also not by a protocol-relative URL or CSS (the frame's CSP is the second line, not the first).
 */
import { describe, expect, it } from 'vitest';
import { sanitizedHtml } from '../../../src/console/message-view.js';

describe('sanitizedHtml', () => {
  it('drops protocol-relative sources and links, and url(), @import and expression() in CSS', () => {
    const html = sanitizedHtml(
      [
        '<img src="//tracker.example/p.png" alt="x">',
        '<a href="//phish.example/login">go</a>',
        '<p style="color: red; background: url(https://tracker.example/bg.png)">styled</p>',
        '<div style="width: expression(alert(1))">old IE</div>',
        '<style>@import url("https://fonts.example/a.css"); p { background-image: url(//t.example/x) } b { color: blue }</style>',
        '<img src="data:image/png;base64,iVBORw0KGgo=" alt="inline">',
        '<a href="https://example.com/ok">fine</a>',
      ].join(''),
    );
    expect(html).not.toMatch(/tracker\.example|phish\.example|fonts\.example|t\.example/);
    expect(html).not.toMatch(/url\(|@import|expression\(/i);
    expect(html).toContain('color:red');
    expect(html).toContain('b { color: blue }');
    expect(html).toContain('src="data:image/png;base64,iVBORw0KGgo="');
    expect(html).toContain('href="https://example.com/ok"');
  });
});
