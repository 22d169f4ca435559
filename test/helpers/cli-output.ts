/**
 * What the CLI writes, captured per test: `out` (stdout: the JSON results) and `err` (stderr:
 * progress and errors). Call inside a describe (or at top level) to install it around each test.
 */
export function captureCliOutput(): { out: string[]; err: string[] } {
  const captured = { out: [] as string[], err: [] as string[] };
  beforeEach(() => {
    captured.out.length = 0;
    captured.err.length = 0;
    jest.spyOn(process.stdout, 'write').mockImplementation((s) => (captured.out.push(String(s)), true));
    jest.spyOn(process.stderr, 'write').mockImplementation((s) => (captured.err.push(String(s)), true));
  });
  afterEach(() => jest.restoreAllMocks());
  return captured;
}
