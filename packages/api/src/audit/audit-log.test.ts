import { describe, expect, it } from "vitest";
import { AUDIT_CSV_HEADER, auditCsvLine, csvField } from "./audit-log.ts";

describe("audit CSV", () => {
  it("quotes fields holding commas, quotes or line breaks and doubles inner quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", then\nleave')).toBe('"say ""hi"", then\nleave"');
  });

  it("writes one line per row with the data object as JSON, under a fixed header", () => {
    const line = auditCsvLine({
      seq: 7,
      created_at: "2026-11-21T10:00:00.000Z",
      actor: "user:usr_1",
      action: "key.created",
      object_type: "api_key",
      object_id: "key_1",
      data: { scopes: ["vault:read", "admin"] },
      hash: "ab12",
    });
    expect(AUDIT_CSV_HEADER).toBe("seq,created_at,actor,action,object_type,object_id,data,hash\r\n");
    expect(line).toBe(
      '7,2026-11-21T10:00:00.000Z,user:usr_1,key.created,api_key,key_1,"{""scopes"":[""vault:read"",""admin""]}",ab12\r\n',
    );
  });
});
