// run.js runs SQL on current ClickHouse in process, through the npm package chdb (libchdb).
// It is the "current release" peer of the 18.16 test server (see package chtest).
//
//   node run.js DATADIR 'SQL'     run one statement (or several separated by ;) and print
//                                 its TabSeparated output; exit 1 with the error on stderr.
//   node run.js DATADIR           serve requests on stdin, one JSON object per line:
//                                 {"sql": "...", "format": "TabSeparated"}; answer one JSON
//                                 line per request on stdout: {"ok": true, "out": "..."} or
//                                 {"ok": false, "error": "..."}.
//
// chdb must be resolvable from this script's directory or from NODE_PATH (chtest installs
// it into a cache directory and sets NODE_PATH).
'use strict';

const readline = require('readline');
const { Session } = require('chdb');

function main() {
  const [dataDir, sql] = process.argv.slice(2);
  if (!dataDir) {
    process.stderr.write('usage: node run.js DATADIR [SQL]\n');
    process.exit(2);
  }
  const session = new Session(dataDir);
  if (sql !== undefined) {
    try {
      process.stdout.write(session.query(sql, 'TabSeparated'));
    } catch (e) {
      process.stderr.write(String(e && e.message ? e.message : e) + '\n');
      process.exitCode = 1;
    } finally {
      session.close();
    }
    return;
  }
  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  rl.on('line', (line) => {
    if (line.trim() === '') return;
    let answer;
    try {
      const req = JSON.parse(line);
      const out = session.query(req.sql, req.format || 'TabSeparated');
      answer = { ok: true, out: typeof out === 'string' ? out : String(out) };
    } catch (e) {
      answer = { ok: false, error: String(e && e.message ? e.message : e) };
    }
    process.stdout.write(JSON.stringify(answer) + '\n');
  });
  rl.on('close', () => session.close());
}

main();
