// The dispatcher's entry for `classify-desk evaluate` (main/cli.ts imports it lazily); the command
// lives in ./evaluate.
export { runEvaluate as runEvaluateCommand, evaluateUsage } from './evaluate';
