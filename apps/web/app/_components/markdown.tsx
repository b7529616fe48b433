"use client";
import DOMPurify from "dompurify";
import { marked } from "marked";
import { useMemo } from "react";

/** A publisher's Markdown, rendered and sanitised (no scripts, no event handlers, no iframes). */
export function Markdown({ source }: { source: string }) {
  const html = useMemo(() => {
    const raw = marked.parse(source, { async: false, gfm: true });
    return typeof window === "undefined" ? "" : DOMPurify.sanitize(raw, { USE_PROFILES: { html: true } });
  }, [source]);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}
