"use client";
import DOMPurify from "dompurify";
import { marked } from "marked";
import { useMemo } from "react";

/**
 * A publisher's Markdown, rendered and sanitised (no scripts, no event handlers, no iframes); with
 * `allowHtml` false the source's own HTML shows as text. The words of `highlight` are marked.
 */
export function Markdown({
  source,
  highlight = [],
  allowHtml = true,
}: {
  source: string;
  highlight?: readonly string[];
  allowHtml?: boolean;
}) {
  const key = highlight.join("\u0000");
  const html = useMemo(() => {
    const raw = marked.parse(allowHtml ? source : source.replace(/</g, "&lt;"), { async: false, gfm: true });
    if (typeof window === "undefined") return "";
    const clean = DOMPurify.sanitize(raw, { USE_PROFILES: { html: true } });
    return key ? highlighted(clean, key.split("\u0000")) : clean;
  }, [source, key, allowHtml]);
  return <div className="markdown" dangerouslySetInnerHTML={{ __html: html }} />;
}

/** The query's words worth marking in a result: three letters or more, each once. */
export function queryWords(query: string): string[] {
  return [
    ...new Set(
      query
        .toLowerCase()
        .split(/[^\p{L}\p{N}]+/u)
        .filter((w) => w.length >= 3),
    ),
  ];
}

/** Sanitised HTML with each occurrence of the words (at a word's start, any case) wrapped in <mark>. */
function highlighted(html: string, words: readonly string[]): string {
  const template = document.createElement("template");
  template.innerHTML = html;
  const escapedWords = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  const pattern = new RegExp(`(?<![\\p{L}\\p{N}])(${escapedWords.join("|")})`, "giu");
  const walker = document.createTreeWalker(template.content, NodeFilter.SHOW_TEXT);
  const nodes: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n as Text);
  for (const node of nodes) {
    const parts = node.data.split(pattern);
    if (parts.length === 1) continue;
    const fragment = document.createDocumentFragment();
    parts.forEach((part, i) => {
      if (i % 2 === 1) fragment.append(Object.assign(document.createElement("mark"), { textContent: part }));
      else if (part) fragment.append(part);
    });
    node.replaceWith(fragment);
  }
  return template.innerHTML;
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
