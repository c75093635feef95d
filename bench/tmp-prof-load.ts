import { closedLoop, populate } from './line-load';
const port = Number(process.argv[2]); const depth = Number(process.argv[3]); const seconds = Number(process.argv[4] ?? 4);
(async () => {
  await populate(port, 100, 100);
  let ops = 0; const end = Date.now() + seconds * 1000;
  const req = () => { const b = (Math.random() * 100) | 0; const k = (Math.random() * 100) | 0; return Math.random() < 0.5 ? `PUT bench${b} k${k} v1\r\n` : `GET bench${b} k${k}\r\n`; };
  await Promise.all(Array.from({ length: 50 }, () => closedLoop(port, depth, req, { done: () => { ops += depth; }, stopping: () => Date.now() > end })));
  console.log(`depth ${depth}: ${(ops / seconds / 1000).toFixed(1)} k ops/s`);
})();
