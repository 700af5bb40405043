// Start / Pause / Reset of a live example whose session trains in rounds: one session per Reset
// (made from the fields' settings), Start resuming it after a Pause, and every error (a setting
// out of range included) shown in the status message instead of thrown.
import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';
import { withBase } from 'vitepress';
import type { BackendStatus } from '../../examples/runtime';

export interface ExampleSession {
  start(): Promise<void>;
  pause(): void;
  dispose(): void;
  /** Whether Start has run once (the settings are then those of the run). */
  readonly hasStarted: boolean;
}

function errorMessage(error: unknown): string {
  return `error: ${error instanceof Error ? error.message : String(error)}`;
}

export type SessionControls = ReturnType<typeof useSessionControls>;

/** `create` makes a fresh session from the current settings (and clears what the page shows). */
export function useSessionControls(create: () => Promise<ExampleSession>) {
  const running = ref(false);
  const message = ref('loading TensorFlow.js');
  let session: ExampleSession | null = null;

  async function start(): Promise<void> {
    try {
      if (!session?.hasStarted) {
        session?.dispose();
        session = await create();
      }
      running.value = true;
      message.value = 'training';
      await session.start();
    } catch (error) {
      message.value = errorMessage(error);
    } finally {
      running.value = false;
    }
  }

  function pause(): void {
    session?.pause();
  }

  async function reset(): Promise<void> {
    session?.dispose();
    session = null;
    running.value = false;
    try {
      session = await create();
      message.value = 'ready: press Start';
    } catch (error) {
      message.value = errorMessage(error);
    }
  }

  function dispose(): void {
    session?.dispose();
    session = null;
  }

  return { running, message, start, pause, reset, dispose };
}

/** The status message when runs trained side by side end: "done: A 2000, B 2000 updates" or "paused at ...". */
export function endedMessage(reason: 'done' | 'paused', runs: readonly { label: string; step: number }[]): string {
  const steps = runs.map(({ label, step }) => `${label} ${step}`).join(', ');
  return reason === 'done' ? `done: ${steps} updates` : `paused at ${steps} updates`;
}

/** Sets numeric `settings` fields from the address (?seed=1&updates=500): a shared link reproduces a run. */
function numberSettingsFromAddress<S extends object>(settings: S, search: string, keys: readonly (keyof S & string)[]): void {
  const query = new URLSearchParams(search);
  for (const key of keys) {
    if (query.has(key)) (settings as Record<string, unknown>)[key] = Number(query.get(key));
  }
}

export interface LiveExampleMount<S extends object> {
  /** The name its state is published under (window.bellmanExamples[name]). */
  name: string;
  settings: S;
  /** The numeric settings the address may set (?seed=1&steps=500). */
  numberKeys: readonly (keyof S & string)[];
  /** Any other settings the address sets (?recipe=random, ?maze=spiral). */
  fromAddress?(query: URLSearchParams): void;
  status: Ref<BackendStatus | null>;
  controls: SessionControls;
  /** The example's own state; running, message and status are added. */
  state(): Record<string, unknown>;
}

/**
 * Called in a live example's setup. Once mounted: settings from the address, the backend
 * started, the state published, a first session made, and with ?autostart in the address (the
 * browser tests use it) the run started. Unmounting disposes of the session.
 */
export function useLiveExample<S extends object>(mount: LiveExampleMount<S>): void {
  const { controls, status } = mount;
  onMounted(async () => {
    const { startBackend, requestedBackend, publishExampleState } = await import('../../examples/runtime');
    const search = window.location.search;
    const query = new URLSearchParams(search);
    numberSettingsFromAddress(mount.settings, search, mount.numberKeys);
    mount.fromAddress?.(query);
    status.value = await startBackend(requestedBackend(search), withBase('/wasm/'));
    publishExampleState(mount.name, () => ({ ...mount.state(), running: controls.running.value, message: controls.message.value, status: status.value }));
    await controls.reset();
    if (query.has('autostart')) void controls.start();
  });
  onBeforeUnmount(() => controls.dispose());
}

/** useLiveExample for an example on a CartPole recipe: ?recipe= sets the recipe. */
export function useRecipeExample<S extends { recipe: string }>(mount: Omit<LiveExampleMount<S>, 'fromAddress'>): void {
  useLiveExample({
    ...mount,
    fromAddress: (query) => {
      const recipe = query.get('recipe');
      if (recipe !== null) mount.settings.recipe = recipe;
    },
  });
}
