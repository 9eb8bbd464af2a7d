/** SSRF guard: literal hosts that reach private, reserved or embedded-private addresses are refused. */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseIpv4, parseIpv6 } from "../src/domain/ip-address";
import { ProblemError } from "../src/domain/problem";
import { assertTargetAllowed, isPrivateHost } from "../src/domain/targets";
import worker from "../src/worker";
import { createTenant, expectProblem, listAllJobs } from "./support/api";

/** The problem `assertTargetAllowed` throws in production mode (ALLOW_INSECURE_TARGETS unset). */
function refusal(url: string) {
  try {
    assertTargetAllowed(url, false, "target.url");
  } catch (error) {
    if (error instanceof ProblemError) return error.problem;
    throw error;
  }
  return undefined;
}

describe("IPv6 hosts that embed an IPv4 address are judged by that address", () => {
  it.each([
    ["::7f00:1", "IPv4-compatible 127.0.0.1"],
    ["::127.0.0.1", "IPv4-compatible, dotted"],
    ["::a00:1", "IPv4-compatible 10.0.0.1"],
    ["::ffff:7f00:1", "IPv4-mapped 127.0.0.1"],
    ["0:0:0:0:0:ffff:7f00:1", "IPv4-mapped, written out"],
    ["::ffff:169.254.169.254", "IPv4-mapped metadata endpoint"],
    ["::ffff:0:7f00:1", "IPv4-translated 127.0.0.1"],
    ["64:ff9b::7f00:1", "NAT64 127.0.0.1"],
    ["64:ff9b::10.0.0.1", "NAT64 10.0.0.1, dotted"],
    ["64:ff9b:1::808:808", "local-use NAT64 (never public)"],
    ["2002:7f00:1::", "6to4 127.0.0.1"],
    ["2002:c0a8:101::1", "6to4 192.168.1.1"],
    ["2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo, client 127.0.0.1 (inverted)"],
    ["2001:0:a00:1:8000:63bf:f7f7:f7f7", "Teredo, server 10.0.0.1"],
  ])("%s is private (%s)", (host) => {
    expect(isPrivateHost(host)).toBe(true);
    expect(isPrivateHost(`[${host}]`)).toBe(true);
  });

  it.each([
    ["::ffff:808:808", "IPv4-mapped 8.8.8.8"],
    ["64:ff9b::808:808", "NAT64 8.8.8.8"],
    ["2002:808:808::1", "6to4 8.8.8.8"],
    ["2001:0:4136:e378:8000:63bf:f7f7:f7f7", "Teredo, client 8.8.8.8"],
  ])("%s is public (%s)", (host) => {
    expect(isPrivateHost(host)).toBe(false);
  });
});

describe("IPv6 special-purpose blocks", () => {
  it.each([
    ["::1", "loopback"],
    ["::", "unspecified"],
    ["0:0:0:0:0:0:0:1", "loopback, written out"],
    ["fc00::1", "unique-local"],
    ["fdff:ffff::1", "unique-local"],
    ["fe80::1", "link-local"],
    ["febf::1", "link-local"],
    ["fec0::1", "site-local"],
    ["feff::1", "site-local"],
    ["ff02::1", "multicast"],
    ["2001:db8::1", "documentation"],
    ["3fff::1", "documentation"],
    ["2001:2::1", "benchmarking"],
    ["100::1", "discard-only"],
    ["4000::1", "not allocated"],
  ])("%s is private (%s)", (host) => {
    expect(isPrivateHost(host)).toBe(true);
  });

  it.each(["2606:4700:4700::1111", "2a00:1450:4001::200e", "2001:4860:4860::8888"])(
    "%s is public",
    (host) => {
      expect(isPrivateHost(host)).toBe(false);
    },
  );

  it("refuses text that only looks like IPv6", () => {
    for (const host of ["[::1::]", "[1:2:3:4:5:6:7:8:9]", "[fe80::1%25eth0]", "[::ffff:1.2.3]"]) {
      expect(isPrivateHost(host), host).toBe(true);
    }
  });
});

describe("IPv4 special-purpose blocks", () => {
  it.each([
    ["0.0.0.0", "this network"],
    ["10.255.255.255", "private"],
    ["100.64.0.0", "shared (CGN)"],
    ["100.127.255.255", "shared (CGN)"],
    ["127.0.0.1", "loopback"],
    ["169.254.169.254", "link-local"],
    ["172.16.0.1", "private"],
    ["192.0.0.1", "IETF protocol assignments"],
    ["192.0.2.1", "TEST-NET-1"],
    ["192.88.99.1", "6to4 relay anycast"],
    ["192.168.0.1", "private"],
    ["198.18.0.0", "benchmarking"],
    ["198.19.255.255", "benchmarking"],
    ["198.51.100.7", "TEST-NET-2"],
    ["203.0.113.9", "TEST-NET-3"],
    ["224.0.0.1", "multicast"],
    ["239.255.255.255", "multicast"],
    ["240.0.0.1", "reserved"],
    ["255.255.255.255", "broadcast"],
  ])("%s is private (%s)", (host) => {
    expect(isPrivateHost(host)).toBe(true);
  });

  it.each([
    "8.8.8.8",
    "1.1.1.1",
    "100.63.255.255",
    "100.128.0.0",
    "192.0.1.255",
    "192.0.3.0",
    "192.88.98.255",
    "198.17.255.255",
    "198.20.0.0",
    "203.0.114.0",
    "223.255.255.255",
  ])("%s is public", (host) => {
    expect(isPrivateHost(host)).toBe(false);
  });
});

describe("IPv4 shorthand", () => {
  it("is normalised by the URL parser before the check sees it", () => {
    expect(new URL("http://2130706433/").hostname).toBe("127.0.0.1");
    expect(new URL("http://0x7f.1/").hostname).toBe("127.0.0.1");
    expect(new URL("http://0177.0.0.1/").hostname).toBe("127.0.0.1");
    expect(new URL("http://127.1/").hostname).toBe("127.0.0.1");
    expect(new URL("http://[::ffff:127.0.0.1]/").hostname).toBe("[::ffff:7f00:1]");
  });

  it("is read the same way when a raw host is checked directly", () => {
    for (const host of ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001", "10.1"]) {
      expect(isPrivateHost(host), host).toBe(true);
    }
    expect(parseIpv4("0x7f.1")).toBe(0x7f000001);
    expect(parseIpv4("134744072")).toBe(0x08080808);
    expect(parseIpv4("256.1.1.1")).toBeNull();
    expect(parseIpv4("example.com")).toBeNull();
  });
});

describe("parseIpv6", () => {
  it("expands :: and dotted tails into eight words", () => {
    expect(parseIpv6("::")).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6("[::1]")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("1::")).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6("1:2::7:8")).toEqual([1, 2, 0, 0, 0, 0, 7, 8]);
    expect(parseIpv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
  });

  it("refuses malformed text", () => {
    for (const text of ["1:2:3:4:5:6:7:8::", "1::2::3", ":1::", "12345::", "1.2.3.4::", "g::1"]) {
      expect(parseIpv6(text), text).toBeNull();
    }
  });
});

describe("assertTargetAllowed in production", () => {
  it.each([
    "https://[::7f00:1]/",
    "https://[::ffff:0:7f00:1]/",
    "https://[64:ff9b::7f00:1]/",
    "https://[2002:7f00:1::]/",
    "https://[fec0::1]/",
    "https://198.18.0.1/",
    "https://192.0.0.8/",
    "https://224.0.0.251/",
    "https://240.0.0.1/",
    "https://255.255.255.255/",
    "https://192.88.99.1/",
    "https://198.51.100.1/",
    "https://203.0.113.1/",
    "https://192.0.2.1/",
    "https://2130706433/",
    "https://0x7f.1/",
    "https://[::ffff:127.0.0.1]/",
  ])("refuses %s with a 400 at target.url", (url) => {
    const problem = refusal(url);
    expect(problem?.status).toBe(400);
    expect(problem?.errors).toEqual([{ path: "target.url", message: expect.any(String) }]);
  });

  it("allows public literal addresses", () => {
    for (const url of ["https://8.8.8.8/", "https://[2606:4700:4700::1111]/"]) {
      expect(refusal(url), url).toBeUndefined();
    }
  });
});

describe("the API in production mode", () => {
  it("answers a private literal target with a 400 at target.url and stores nothing", async () => {
    // The suite runs with ALLOW_INSECURE_TARGETS=true; this request goes through the Worker with
    // it switched off, against the same object bindings.
    const tenant = await createTenant();
    const ctx = createExecutionContext();
    const request = new Request("https://scheduler.test/v1/jobs", {
      method: "POST",
      headers: { authorization: `Bearer ${tenant.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "ssrf", target: { type: "http", url: "https://[::7f00:1]/" } }),
    });
    const response = await worker.fetch(request, { ...env, ALLOW_INSECURE_TARGETS: "false" }, ctx);
    await waitOnExecutionContext(ctx);
    await expectProblem(response, 400, ["target.url"]);
    expect(await listAllJobs(tenant)).toEqual([]);
  });
});
