/**
 * .dockerignore matching with BuildKit's semantics (moby/patternmatcher): patterns are cleaned
 * paths relative to the context, `*` and `?` stay within one path segment, `**` spans segments,
 * `!` re-includes, the last matching pattern wins, and a pattern that matches a directory
 * excludes everything below it.
 */

interface Pattern {
  readonly regex: RegExp;
  readonly exclusion: boolean;
  /** The cleaned pattern text, to decide whether a re-include could reach below an excluded directory. */
  readonly text: string;
}

function cleanPath(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  return parts.join('/');
}

function compile(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) throw new Error(`bad .dockerignore pattern ${pattern}`);
      re += `[${pattern.slice(i + 1, close).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = close;
    } else if (c === '\\' && i + 1 < pattern.length) {
      re += pattern[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/** A parsed .dockerignore. */
export class DockerIgnore {
  private readonly patterns: readonly Pattern[];

  constructor(text: string) {
    this.patterns = text
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => {
        const exclusion = l.startsWith('!');
        const body = cleanPath(exclusion ? l.slice(1).trim() : l);
        return { regex: compile(body), exclusion, text: body };
      });
  }

  /** True when `path` (relative to the context, `/`-separated) is left out of the build context. */
  ignores(path: string): boolean {
    const clean = cleanPath(path);
    const segments = clean.split('/');
    let ignored = false;
    for (const p of this.patterns) {
      let matched = false;
      for (let n = segments.length; n >= 1 && !matched; n--) matched = p.regex.test(segments.slice(0, n).join('/'));
      if (matched) ignored = !p.exclusion;
    }
    return ignored;
  }

  /** False when no re-include pattern could bring back anything below an excluded directory. */
  mayIncludeBelow(dir: string): boolean {
    const dirSegments = cleanPath(dir).split('/');
    return this.patterns.some((p) => {
      if (!p.exclusion) return false;
      const patternSegments = p.text.split('/');
      for (let i = 0; i < dirSegments.length; i++) {
        const seg = patternSegments[i];
        if (seg === undefined || seg.includes('**')) return true;
        if (!compile(seg).test(dirSegments[i]!)) return false;
      }
      return true;
    });
  }
}
