/**
 * /docs: a self-contained viewer for /openapi.json (no CDN: it works offline), served under a CSP
 * that allows only its own inline style and script (by hash), fetches of this origin, and no
 * framing (clickjacking), like the console's.
 */

const STYLE = `
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:960px;padding:1rem 2rem;color:#1d1d1f}
h1{margin-bottom:0}.op{border:1px solid #ddd;border-radius:6px;margin:.6rem 0}
summary{cursor:pointer;padding:.5rem .8rem;font-family:ui-monospace,monospace}
.m{display:inline-block;width:4.5rem;font-weight:700}.get{color:#0a7}.post{color:#06c}.patch{color:#b70}.delete{color:#c33}
pre{background:#f6f6f8;padding:.8rem;overflow:auto;margin:0 .8rem .8rem;font-size:13px}
.s{color:#555;font-family:system-ui}`;

const SCRIPT = `
fetch("/openapi.json").then(r=>r.json()).then(doc=>{
  document.getElementById("d").textContent=(doc.info.description||"")+" (version "+doc.info.version+")";
  const ops=document.getElementById("ops");ops.textContent="";
  for(const [path,item] of Object.entries(doc.paths)){for(const [method,op] of Object.entries(item)){
    const d=document.createElement("details");d.className="op";
    const s=document.createElement("summary");
    s.innerHTML='<span class="m '+method+'">'+method.toUpperCase()+'</span>';
    s.append(path+"  ");const t=document.createElement("span");t.className="s";t.textContent=op.summary||"";s.append(t);
    const pre=document.createElement("pre");pre.textContent=JSON.stringify({parameters:op.parameters,requestBody:op.requestBody,responses:op.responses},null,2);
    d.append(s,pre);ops.append(d);}}
  const c=document.createElement("details");c.className="op";c.innerHTML="<summary>Schemas</summary>";
  const pre=document.createElement("pre");pre.textContent=JSON.stringify(doc.components,null,2);c.append(pre);ops.append(c);
});
`;

export const DOCS_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Scheduler API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head>
<body><h1>Scheduler API</h1><p id="d"></p><div id="ops">Loading /openapi.json…</div>
<script>${SCRIPT}</script></body></html>`;

async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

let headers: Promise<Record<string, string>> | undefined;

/** The page's headers, the hashes computed once per isolate. */
export function docsHeaders(): Promise<Record<string, string>> {
  headers ??= (async () => ({
    "content-type": "text/html; charset=utf-8",
    "content-security-policy": [
      "default-src 'none'",
      `script-src 'sha256-${await sha256(SCRIPT)}'`,
      `style-src 'sha256-${await sha256(STYLE)}'`,
      "connect-src 'self'",
      "img-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  }))();
  return headers;
}

export async function docsPage(): Promise<Response> {
  return new Response(DOCS_HTML, { headers: await docsHeaders() });
}
