import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Runs a benchmark file again in a fresh child process (under tsx) with `task` in the environment
 * variable `variable`, and resolves with the one result the child sends back over IPC. A fresh
 * process per measurement keeps its peak memory and CPU its own, not the runner's or an earlier
 * round's. The child reads the task with `JSON.parse(process.env[variable])`, then
 * `process.send(result)`.
 *
 * @param moduleUrl `import.meta.url` of the benchmark file.
 * @param label What the child measures, for the error when it exits without a result.
 */
export function inMeasuringChild<Task, Result>(moduleUrl: string, variable: string, task: Task, label: string): Promise<Result> {
  const child = fork(fileURLToPath(moduleUrl), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, [variable]: JSON.stringify(task), TSX_TSCONFIG_PATH: fileURLToPath(new URL('../../tsconfig.json', import.meta.url)) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  return new Promise<Result>((resolve, reject) => {
    let result: Result | undefined;
    child.on('message', (message: Result) => {
      result = message;
    });
    child.once('exit', (code) => (result === undefined ? reject(new Error(`the ${label} child exited with ${code} and no result`)) : resolve(result)));
  });
}

/**
 * The child's side of `inMeasuringChild`: when this process was started with a task in
 * `variable`, runs `measure` on it, sends the result to the parent and lets go of the channel.
 * Does nothing in any other process (the runner importing the benchmark file).
 */
export async function answerAsMeasuringChild<Task, Result>(variable: string, measure: (task: Task) => Promise<Result>): Promise<void> {
  const text = process.env[variable];
  if (text === undefined) return;
  process.send?.(await measure(JSON.parse(text) as Task));
  process.disconnect?.();
}
