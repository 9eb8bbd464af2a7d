/**
 * Which `payload.env` names a job may set for its command. A job author chooses the payload, so
 * none may change how a program is loaded or what it looks up: the dynamic loader, PATH, the module
 * paths and startup hooks of shells and interpreters, where configuration, certificates and proxies
 * are found, and the programs other programs start. The worker's own SCHEDULER_* names are its.
 * Names are compared in upper case (Windows does; a lower-case twin should not slip through).
 */

/** Refused when the name starts with one of these. */
const REFUSED_PREFIXES: readonly [string, string][] = [
  ["LD_", "changes how the dynamic loader loads programs"],
  ["DYLD_", "changes how the dynamic loader loads programs"],
  ["BASH_FUNC_", "defines shell functions that replace commands"],
  ["GIT_", "changes what git loads and runs"],
  ["NPM_CONFIG_", "changes npm's configuration (including the shell it runs scripts with)"],
  ["PIP_", "changes where pip finds packages"],
  ["XDG_", "changes where programs find their configuration"],
  ["SCHEDULER_", "is set by the worker"],
];

const group = (reason: string, names: string[]) => names.map((name) => [name, reason] as const);

/** Refused names, each with why. */
const REFUSED_NAMES = new Map<string, string>([
  ...group("changes how the dynamic loader loads programs", [
    "GLIBC_TUNABLES",
    "GCONV_PATH",
    "LOCPATH",
    "NLSPATH",
  ]),
  ...group("changes where commands are looked up", ["PATH", "CDPATH", "IFS"]),
  ...group("changes what a shell runs at start", [
    "ENV",
    "BASH_ENV",
    "SHELLOPTS",
    "BASHOPTS",
    "PS4",
    "PROMPT_COMMAND",
    "ZDOTDIR",
    "SHELL",
  ]),
  ...group("changes what an interpreter loads", [
    "NODE_OPTIONS",
    "NODE_PATH",
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONSTARTUP",
    "PYTHONUSERBASE",
    "PYTHONPLATLIBDIR",
    "PYTHONEXECUTABLE",
    "PYTHONINSPECT",
    "PYTHONBREAKPOINT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5OPT",
    "PERL5DB",
    "RUBYLIB",
    "RUBYOPT",
    "GEM_HOME",
    "GEM_PATH",
    "BUNDLE_GEMFILE",
    "CLASSPATH",
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "LUA_PATH",
    "LUA_CPATH",
    "LUA_INIT",
    "PHPRC",
    "PHP_INI_SCAN_DIR",
    "TCLLIBPATH",
    "R_PROFILE",
    "R_PROFILE_USER",
    "R_ENVIRON",
    "R_ENVIRON_USER",
  ]),
  ...group("changes where programs find their configuration", ["HOME", "OPENSSL_CONF"]),
  ...group("changes which certificates are trusted", [
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "OPENSSL_ENGINES",
  ]),
  ...group("changes where network requests go", [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "HOSTALIASES",
    "RES_OPTIONS",
    "LOCALDOMAIN",
  ]),
  ...group("names a program that another program starts", [
    "PAGER",
    "MANPAGER",
    "EDITOR",
    "VISUAL",
    "BROWSER",
    "LESSOPEN",
    "LESSCLOSE",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "RSYNC_RSH",
    "RSYNC_CONNECT_PROG",
    "CVS_RSH",
    "TAR_OPTIONS",
  ]),
]);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Why the payload may not set `name`, or null when it may. */
export function refusedEnvName(name: string): string | null {
  if (!NAME.test(name)) return "is not a variable name (letters, digits and '_')";
  const upper = name.toUpperCase();
  const reason = REFUSED_NAMES.get(upper);
  if (reason) return reason;
  for (const [prefix, why] of REFUSED_PREFIXES) if (upper.startsWith(prefix)) return why;
  return null;
}

/** Every refused name and prefix (`LD_*`), for documentation and the tests. */
export function refusedEnvNames(): string[] {
  return [...REFUSED_PREFIXES.map(([prefix]) => `${prefix}*`), ...REFUSED_NAMES.keys()];
}
