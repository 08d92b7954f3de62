import { applyV8Tuning } from './v8-tuning';

// Imported first by main.ts for this side effect: the flags must be set before the app's modules
// load and allocate (Node leaves flags changed later in a process's life to V8).
applyV8Tuning();
