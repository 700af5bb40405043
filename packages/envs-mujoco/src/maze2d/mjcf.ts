import type { Maze2dLayout } from './layouts.js';

/**
 * The MJCF of D4RL's maze2d for a layout, with the same physics as the XML D4RL generates:
 * timestep 0.01, no gravity, Euler, 20 solver iterations, joint damping 1, its geom defaults, the
 * ground plane, the particle on two slide joints, gear-100 motors and one box per wall cell, in
 * D4RL's order (ground, particle, walls). Textures, materials, lights and sites are left out
 * (they change no physics), and `<size memory>` keeps each model and data small: D4RL's default
 * arena makes each MjData 13.6 MB.
 */
export function maze2dXml(layout: Maze2dLayout): string {
  const walls = layout.walls
    .map(([w, h]) => `    <geom name="wall_${w}_${h}" type="box" conaffinity="1" pos="${w + 1} ${h + 1} 0" size="0.5 0.5 0.2"/>`)
    .join('\n');
  return `<mujoco model="maze2d-${layout.name}">
  <compiler angle="radian" coordinate="local" inertiafromgeom="true"/>
  <size memory="256K"/>
  <option timestep="0.01" gravity="0 0 0" integrator="Euler" iterations="20"/>
  <default>
    <joint damping="1" limited="false"/>
    <geom friction=".5 .1 .1" density="1000" margin="0.002" condim="1" contype="2" conaffinity="1"/>
  </default>
  <worldbody>
    <geom name="ground" type="plane" size="40 40 0.25" pos="0 0 -0.1" contype="1" conaffinity="0"/>
    <body name="particle" pos="1.2 1.2 0">
      <geom name="particle_geom" type="sphere" size="0.1" contype="1"/>
      <joint name="ball_x" type="slide" pos="0 0 0" axis="1 0 0"/>
      <joint name="ball_y" type="slide" pos="0 0 0" axis="0 1 0"/>
    </body>
${walls}
  </worldbody>
  <actuator>
    <motor joint="ball_x" ctrlrange="-1.0 1.0" ctrllimited="true" gear="100"/>
    <motor joint="ball_y" ctrlrange="-1.0 1.0" ctrllimited="true" gear="100"/>
  </actuator>
</mujoco>
`;
}
