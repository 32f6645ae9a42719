import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secureJoin } from "../../src/mounts/securejoin.ts";

let root: string;

beforeAll(() => {
  // root/: etc/ (a directory), usr/bin/, and links of every kind.
  root = mkdtempSync(join(tmpdir(), "ns-unit-securejoin-"));
  mkdirSync(`${root}/etc`);
  mkdirSync(`${root}/usr/bin`, { recursive: true });
  writeFileSync(`${root}/etc/passwd`, "");
  symlinkSync("/usr/bin", `${root}/bin`);
  symlinkSync("../usr", `${root}/etc/up`);
  symlinkSync("/../../../../../etc", `${root}/escape-absolute`);
  symlinkSync("../../../../../../etc", `${root}/escape-relative`);
  symlinkSync("loop-b", `${root}/loop-a`);
  symlinkSync("loop-a", `${root}/loop-b`);
  symlinkSync("bin", `${root}/chain`);
  symlinkSync("passwd", `${root}/etc/passwd-link`);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe("secureJoin", () => {
  test("joins a path without links", () => {
    expect(secureJoin(root, "/etc/passwd")).toBe(`${root}/etc/passwd`);
  });

  test("returns the root for / and the empty path", () => {
    expect(secureJoin(root, "/")).toBe(root);
    expect(secureJoin(root, "")).toBe(root);
  });

  test("reads a relative path as relative to the root", () => {
    expect(secureJoin(root, "etc/passwd")).toBe(`${root}/etc/passwd`);
  });

  test("drops empty and dot components", () => {
    expect(secureJoin(root, "//etc/./passwd/")).toBe(`${root}/etc/passwd`);
  });

  test("keeps .. from climbing above the root", () => {
    expect(secureJoin(root, "/../../etc")).toBe(`${root}/etc`);
    expect(secureJoin(root, "/etc/../../../usr")).toBe(`${root}/usr`);
  });

  test("resolves an absolute link against the root", () => {
    expect(secureJoin(root, "/bin/sh")).toBe(`${root}/usr/bin/sh`);
  });

  test("resolves a relative link against its directory", () => {
    expect(secureJoin(root, "/etc/up/bin")).toBe(`${root}/usr/bin`);
  });

  test("keeps links that point outside inside the root", () => {
    expect(secureJoin(root, "/escape-absolute/passwd")).toBe(`${root}/etc/passwd`);
    expect(secureJoin(root, "/escape-relative/passwd")).toBe(`${root}/etc/passwd`);
  });

  test("follows a chain of links", () => {
    expect(secureJoin(root, "/chain/ls")).toBe(`${root}/usr/bin/ls`);
  });

  test("follows a link in the last component", () => {
    expect(secureJoin(root, "/etc/passwd-link")).toBe(`${root}/etc/passwd`);
  });

  test("takes the rest as written once a component is missing", () => {
    expect(secureJoin(root, "/missing/../etc/x")).toBe(`${root}/etc/x`);
    expect(secureJoin(root, "/missing/dir/file")).toBe(`${root}/missing/dir/file`);
  });

  test("rejects a loop of links", () => {
    expect(() => secureJoin(root, "/loop-a/x")).toThrow("too many levels of symbolic links");
  });
});
