/**
 * The MuJoCo WebAssembly module (@mujoco/mujoco), loaded once per process on first use. Loading
 * is asynchronous (it compiles a 10 MB module), so `make()` of a MuJoCo env needs it loaded first:
 * `makeAsync` from @bellman/envs, or `await loadMujoco()`.
 */
import { BellmanError, UsageError } from '@bellman/core';
import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';

export type MujocoModule = MainModule;
export type { MjData, MjModel };

let loaded: MujocoModule | undefined;
let loading: Promise<MujocoModule> | undefined;

/** Loads the engine (once; later calls return the same module). */
export function loadMujoco(): Promise<MujocoModule> {
  if (loaded) return Promise.resolve(loaded);
  loading ??= import('@mujoco/mujoco')
    .then(async (m) => {
      loaded = await m.default();
      return loaded;
    })
    .catch((cause: unknown) => {
      loading = undefined;
      throw new BellmanError(`MuJoCo's WebAssembly module (@mujoco/mujoco) failed to load: ${cause instanceof Error ? cause.message : String(cause)}`, {}, { cause });
    });
  return loading;
}

export function isMujocoLoaded(): boolean {
  return loaded !== undefined;
}

/** The loaded engine; a `UsageError` naming the way out when it is not loaded yet. */
export function mujocoEngine(envId: string): MujocoModule {
  if (!loaded) {
    throw new UsageError(`make("${envId}"): the MuJoCo engine is not loaded yet; use \`await makeAsync("${envId}")\` from @bellman/envs, or \`await loadMujoco()\` from @bellman/envs-mujoco before make()`, { envId });
  }
  return loaded;
}

/** A model compiled from MJCF; the engine's own message when the XML is bad. */
export function compileModel(engine: MujocoModule, xml: string, what: string): MjModel {
  try {
    return engine.MjModel.from_xml_string(xml);
  } catch (cause) {
    const text = cause instanceof Error ? cause.message : typeof cause === 'string' ? cause : 'no message';
    throw new BellmanError(`${what}: MuJoCo could not compile the model: ${text.trim()}`, { what }, { cause });
  }
}
