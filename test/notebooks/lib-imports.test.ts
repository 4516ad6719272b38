import * as fs from "fs";
import * as path from "path";
import { describe, expect, it } from "vitest";

// tslab (the notebook kernel) does not resolve a folder import to its index.ts, so a lib/ file that
// imports "../kernels" works under tsx and vitest but fails in every notebook that reaches it.
describe("lib/ imports name files, not folders (notebooks load lib through tslab)", () => {
  it("no relative import resolves to a directory", () => {
    const root = path.resolve(__dirname, "../../lib");
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith(".ts")) {
          const src = fs.readFileSync(p, "utf8");
          for (const m of src.matchAll(/from "(\.\.?\/[^"]+)"/g)) {
            if (fs.existsSync(path.resolve(path.dirname(p), m[1])) && fs.statSync(path.resolve(path.dirname(p), m[1])).isDirectory()) offenders.push(`${path.relative(root, p)} imports ${m[1]}`);
          }
        }
      }
    };
    walk(root);
    expect(offenders).toEqual([]);
  });
});
