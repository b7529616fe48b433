import Link from "next/link";

export default function NotFound() {
  return (
    <div className="auth-wrap">
      <div className="card auth-card stack" style={{ textAlign: "center" }}>
        <h1>Not found</h1>
        <p className="muted">
          This page does not exist, or it belongs to an organisation you are not part of.
        </p>
        <Link className="btn primary" href="/store">
          Back to the store
        </Link>
      </div>
    </div>
  );
}
