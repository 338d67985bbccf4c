/**
 * The bookstore's page: search books, see trends and your recommendations. Self-contained (no external assets);
 * it sets the 5-character `uid` cookie for 30 days, as the original did, so searches count for this browser.
 * Served at `/bookstore/`; the API it calls is at the server's root.
 */
export function bookstorePage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald bookstore</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; }
  form { display: flex; gap: .5rem; margin: 1rem 0; }
  input[type=search] { flex: 1; padding: .45rem .6rem; font-size: 1rem; }
  button { padding: .45rem 1rem; font-size: 1rem; }
  .cols { display: grid; grid-template-columns: 2fr 1fr; gap: 2rem; }
  li { margin: .35rem 0; }
  .muted { color: #666; font-size: .9rem; }
  #error { color: #a00; }
</style>
</head>
<body>
<h1>Herald bookstore</h1>
<p class="muted">Every search is an event; trends and recommendations are stateful processors over them. You are
<b id="uid"></b>.</p>
<form id="search"><input type="search" id="q" name="q" placeholder="Title, author or words of the description" autofocus>
<button type="submit">Search</button></form>
<p id="error"></p>
<div class="cols">
  <section><h2>Books</h2><ol id="books"></ol>
    <p><button id="more" hidden>More</button></p></section>
  <section><h2>Trends</h2><ol id="trends"></ol><h2>For you</h2><ol id="recommendations"></ol></section>
</div>
<script>
(() => {
  const api = (path) => path; // the API lives at the server's root, beside the page
  function uid() {
    const m = document.cookie.match(/(?:^|; )uid=([A-Za-z0-9]+)/);
    if (m) return m[1];
    const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
    let id = '';
    const bytes = crypto.getRandomValues(new Uint8Array(5));
    for (const b of bytes) id += chars[b % chars.length];
    document.cookie = 'uid=' + id + '; Max-Age=' + 30 * 24 * 3600 + '; Path=/; SameSite=Lax';
    return id;
  }
  const me = uid();
  document.getElementById('uid').textContent = me;
  const el = (tag, text) => { const e = document.createElement(tag); e.textContent = text; return e; };
  let query = '';
  let offset = 0;
  async function getJson(path) {
    const res = await fetch(api(path), { credentials: 'same-origin' });
    const body = await res.json();
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }
  async function search(append) {
    document.getElementById('error').textContent = '';
    try {
      const books = await getJson('/api/books?q=' + encodeURIComponent(query) + '&o=' + offset);
      const list = document.getElementById('books');
      if (!append) list.replaceChildren();
      for (const b of books) {
        const li = el('li', '');
        li.append(el('b', b.title), ' by ' + b.author + ' ', el('span', '(' + b.published_at.slice(0, 4) + ')'));
        li.append(el('div', b.description));
        li.lastChild.className = 'muted';
        list.append(li);
      }
      document.getElementById('more').hidden = books.length === 0;
      setTimeout(refresh, 300);
    } catch (err) {
      document.getElementById('error').textContent = String(err.message || err);
    }
  }
  async function refresh() {
    try {
      const trends = await getJson('/trends?ps=10');
      document.getElementById('trends').replaceChildren(...trends.map((t) => el('li', t.query + ' (' + t.count + ')')));
      const recs = await getJson('/recommendations?uid=' + encodeURIComponent(me));
      document.getElementById('recommendations').replaceChildren(
        ...recs.map((r) => el('li', r.title + ' by ' + r.author + ' (' + r.score + ')')),
      );
    } catch (err) {
      document.getElementById('error').textContent = String(err.message || err);
    }
  }
  document.getElementById('search').addEventListener('submit', (e) => {
    e.preventDefault();
    query = document.getElementById('q').value.trim();
    offset = 0;
    void search(false);
  });
  document.getElementById('more').addEventListener('click', () => { offset += 5; void search(true); });
  void search(false);
  void refresh();
  setInterval(refresh, 2000); // trends and recommendations follow the processors as they catch up
})();
</script>
</body>
</html>
`;
}
