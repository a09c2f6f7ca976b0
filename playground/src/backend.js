// How the page reaches pipec: the server's JSON API (pipec playground). There is no static
// export (docs/playground.md, "No static export"); one would put a module that runs pipec in
// Pyodide here.
export async function backend(name, request) {
  const init = name === "catalog" ? { method: "GET" }
    : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(request) };
  const r = await fetch(`/api/${name}`, init);
  let data;
  try { data = await r.json(); } catch { data = { error: `the server answered ${r.status} ${r.statusText}` }; }
  if (!r.ok) throw new Error(data.error || `the server answered ${r.status}`);
  return data;
}
