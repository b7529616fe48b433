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

/** A Markdown text as a plain one-paragraph excerpt for cards: links as their text, no markup. */
export function markdownExcerpt(source: string, max: number): string {
  const text = source
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, "")
    // Emphasis and code marks only where they open and close words (snake_case and 2*3 stay).
    .replace(/(^|[^\w*_~`])(\*\*|__|\*|_|~~|`)(\S(?:.*?\S)?)\2(?![\w*_~`])/gm, "$1$3")
    .replace(/\s+/g, " ")
    .trim();
  return text.length > max ? `${text.slice(0, max).trimEnd()}…` : text;
}
