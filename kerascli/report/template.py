"""The report's one HTML page: markup and CSS, filled in with `string.Template`.

`string.Template` rather than Jinja2: the page has one layout and a handful of slots, every
fragment is built (and escaped) in Python by `kerascli.report.sections`, and the standard
library needs no new dependency. The CSS is inline (nothing is fetched): light and dark themes
follow `prefers-color-scheme`, and wide tables scroll sideways on a phone rather than squeeze.
"""

from __future__ import annotations

from string import Template

PAGE = Template("""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="kerascli $version">
<title>$title</title>
<style>
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1c1f24; --muted: #5b6470; --line: #dde1e6; --card: #f5f6f8;
  --accent: #2f7fd0; --heat: 47, 127, 208;
  --completed: #1a7f37; --running: #9a6700; --failed: #c62828; --interrupted: #8250df;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --fg: #e4e7eb; --muted: #9aa3ad; --line: #2d333b; --card: #1a1f26;
    --accent: #64a8ee; --heat: 100, 168, 238;
    --completed: #4ac26b; --running: #d4a72c; --failed: #ff6b6b; --interrupted: #b28cff;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 16px 16px 48px; }
header h1 { margin: 8px 0 4px; font-size: 1.5rem; overflow-wrap: anywhere; }
.meta { color: var(--muted); margin: 0; overflow-wrap: anywhere; }
.meta .part { white-space: nowrap; }
.badge { display: inline-block; padding: 0 8px; border-radius: 999px; font-size: .85rem;
  font-weight: 600; border: 1px solid currentColor; }
.status-completed { color: var(--completed); } .status-running { color: var(--running); }
.status-failed { color: var(--failed); } .status-interrupted { color: var(--interrupted); }
nav { position: sticky; top: 0; background: var(--bg); border-bottom: 1px solid var(--line);
  padding: 8px 0; margin: 12px 0 4px; display: flex; gap: 4px 14px; flex-wrap: wrap; z-index: 1; }
nav a { color: var(--accent); text-decoration: none; font-size: .95rem; }
nav a:hover { text-decoration: underline; }
section { margin-top: 28px; scroll-margin-top: 56px; }
h2 { font-size: 1.2rem; margin: 0 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 1rem; margin: 18px 0 8px; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; max-width: 100%;
  scrollbar-width: thin; scrollbar-color: var(--muted) transparent; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: right;
  white-space: nowrap; vertical-align: top; }
th:first-child, td:first-child { text-align: left; }
thead th { color: var(--muted); font-weight: 600; border-bottom-width: 2px; }
tr.total td { font-weight: 600; }
table.record td { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 10ch; }
table.record td:first-child { white-space: nowrap; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 10px 12px; }
.card .label { color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
.card .value { font-size: 1.35rem; font-weight: 600; font-variant-numeric: tabular-nums; }
.charts { display: grid; gap: 14px;
  grid-template-columns: repeat(auto-fill, minmax(min(100%, 440px), 1fr)); }
figure { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 10px;
  padding: 8px; min-width: 0; }
figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; border-radius: 4px; }
figure img.pixels { image-rendering: pixelated; }
figcaption { color: var(--muted); font-size: .85rem; margin-top: 6px; text-align: center; }
.gallery { display: grid; gap: 14px; grid-template-columns: repeat(auto-fill, minmax(min(100%, 320px), 1fr)); }
.confusion td { text-align: center; min-width: 2.6em; padding: 4px 6px; border: 1px solid var(--line); }
.confusion th { text-align: center; padding: 4px 6px; font-weight: 600; }
.confusion th.row { text-align: right; }
.confusion td.diag { font-weight: 700; }
.note { color: var(--muted); }
pre { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 12px;
  overflow-x: auto; font: 13px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; margin: 0; }
footer { margin-top: 36px; color: var(--muted); font-size: .85rem; }
</style>
</head>
<body>
<main>
<header>
<h1>$title</h1>
<p class="meta">$meta</p>
</header>
<nav>$nav</nav>
$sections
<footer>Written by kerascli $version on $written from $source.</footer>
</main>
</body>
</html>
""")
