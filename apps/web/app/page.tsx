import Link from "next/link";

export default function Home() {
  return (
    <>
      <header className="topbar">
        <div className="topbar-inner">
          <span className="brand">
            <span className="brand-mark" aria-hidden /> MemStore
          </span>
          <nav className="nav" aria-label="Main">
            <Link href="/store">Store</Link>
          </nav>
          <div className="row">
            <Link className="btn" href="/signin">
              Sign in
            </Link>
            <Link className="btn primary" href="/signup">
              Create an account
            </Link>
          </div>
        </div>
      </header>
      <section className="hero">
        <h1>The exchange for AI memory.</h1>
        <p>
          Experts publish governed MemCubes — curated knowledge, KV-cache snapshots, LoRA adapters.
          Organisations install them into their own vaults, and their agents pull exactly what they are
          licensed to use.
        </p>
        <div className="row" style={{ marginTop: "1.5rem" }}>
          <Link className="btn primary" href="/signup">
            Start publishing
          </Link>
          <Link className="btn" href="/store">
            Browse the store
          </Link>
        </div>
        <div className="grid" style={{ marginTop: "3rem" }}>
          <div className="card">
            <h3>Governed</h3>
            <p className="muted">Visibility, purposes, TTL and license terms travel with every version.</p>
          </div>
          <div className="card">
            <h3>Traceable</h3>
            <p className="muted">Every install, agent call and change lands in a hash-chained audit log.</p>
          </div>
          <div className="card">
            <h3>Searchable</h3>
            <p className="muted">Agents run hybrid text and semantic search over everything installed.</p>
          </div>
        </div>
      </section>
    </>
  );
}
