import { jest } from '@jest/globals';
import { watchInterrupts } from '../src/node.js';

describe('watchInterrupts', () => {
  it('the first SIGINT asks to stop, the second exits at once with 130', () => {
    const stops: string[] = [];
    const said: string[] = [];
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const watch = watchInterrupts((s) => stops.push(s), (l) => said.push(l));
    try {
      process.emit('SIGINT');
      expect(stops).toEqual(['SIGINT']);
      expect(watch.signal).toBe('SIGINT');
      expect(exit).not.toHaveBeenCalled();
      process.emit('SIGINT');
      expect(exit).toHaveBeenCalledWith(130);
      expect(stops).toEqual(['SIGINT']);
      expect(said).toEqual([
        'interrupted: finishing the current step and writing a checkpoint (Ctrl-C again to exit at once)',
        'second interrupt: exiting now, without a checkpoint of the current step',
      ]);
    } finally {
      watch.dispose();
      exit.mockRestore();
    }
    expect(process.listenerCount('SIGINT')).toBe(0);
  });

  it('SIGTERM stops once; a later SIGTERM is ignored while the checkpoint is written', () => {
    const stops: string[] = [];
    const exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    const watch = watchInterrupts((s) => stops.push(s), () => {});
    try {
      process.emit('SIGTERM');
      process.emit('SIGTERM');
      expect(stops).toEqual(['SIGTERM']);
      expect(exit).not.toHaveBeenCalled();
    } finally {
      watch.dispose();
      exit.mockRestore();
    }
  });
});
