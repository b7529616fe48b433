import type { Metadata, Viewport } from "next";
import type { ReactNode } from "react";
import "./globals.css";
import "./_styles/controls.css";
import "./_styles/content.css";
import { Providers } from "./providers";

export const metadata: Metadata = {
  title: { default: "MemStore", template: "%s · MemStore" },
  description: "Publish, sell and install governed AI memory.",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
