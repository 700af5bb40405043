/** A wall segment (horizontal or vertical) before it is grown into a box. */
export interface WallSegment {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

/** A wall grown by the clearance on every side: the closed box [minX, maxX] x [minY, maxY]. */
export interface WallBox {
  readonly minX: number;
  readonly maxX: number;
  readonly minY: number;
  readonly maxY: number;
}

/** How far a wall segment is grown in x and y (ends included): the point's clearance. */
export const WALL_CLEARANCE = 0.15;

/** The box a segment occupies once grown by `clearance` on every side. */
export function growWall(segment: WallSegment, clearance = WALL_CLEARANCE): WallBox {
  return {
    minX: Math.min(segment.x0, segment.x1) - clearance,
    maxX: Math.max(segment.x0, segment.x1) + clearance,
    minY: Math.min(segment.y0, segment.y1) - clearance,
    maxY: Math.max(segment.y0, segment.y1) + clearance,
  };
}

/** True when (x, y) is strictly inside the box (its faces are free). */
export function insideBox(box: WallBox, x: number, y: number): boolean {
  return box.minX < x && x < box.maxX && box.minY < y && y < box.maxY;
}

export function insideAnyWall(walls: readonly WallBox[], x: number, y: number): boolean {
  for (const box of walls) if (insideBox(box, x, y)) return true;
  return false;
}

/**
 * One wall's collision rule. A face stops the move when three things hold: the bounding box of
 * the move (start to the current end) overlaps the face, touching included; the start is on the
 * face's line or on its outer side; and the move does not go away from the face. The end is then
 * held on the face's line. The four faces are tested in the order top, bottom, right, left, all
 * against the bounding box of the move as it was when this wall was reached. Writes `end`.
 */
function collideWithBox(box: WallBox, startX: number, startY: number, end: Float64Array): void {
  const moveMinX = Math.min(startX, end[0]!);
  const moveMaxX = Math.max(startX, end[0]!);
  const moveMinY = Math.min(startY, end[1]!);
  const moveMaxY = Math.max(startY, end[1]!);
  const spansX = moveMinX <= box.maxX && box.minX <= moveMaxX;
  const spansY = moveMinY <= box.maxY && box.minY <= moveMaxY;
  // A horizontal face is the segment y = const over [minX, maxX]: overlap needs the x ranges to meet
  // and the face's y inside the move's y range.
  if (spansX && moveMinY <= box.maxY && box.maxY <= moveMaxY && startY >= box.maxY && end[1]! <= startY) end[1] = box.maxY;
  if (spansX && moveMinY <= box.minY && box.minY <= moveMaxY && startY <= box.minY && end[1]! >= startY) end[1] = box.minY;
  if (spansY && moveMinX <= box.maxX && box.maxX <= moveMaxX && startX >= box.maxX && end[0]! <= startX) end[0] = box.maxX;
  if (spansY && moveMinX <= box.minX && box.minX <= moveMaxX && startX <= box.minX && end[0]! >= startX) end[0] = box.minX;
}

/**
 * Where a move from (startX, startY) to (endX, endY) ends among `walls`: each wall in order applies
 * its face rule to the end left by the walls before it. When that changed both coordinates (a move
 * caught on two faces at once, typically at a corner or a wall's end), the walls are applied again
 * in reverse order from the unadjusted end, and that result stands. All in float64: a face such as
 * 1.85 rounds up in float32, which would put a point held on it inside the wall and let the next
 * move pass. Writes the result into `out` ([x, y]) and returns it.
 */
export function moveAmongWalls(
  walls: readonly WallBox[],
  startX: number,
  startY: number,
  endX: number,
  endY: number,
  out: Float64Array = new Float64Array(2),
): Float64Array {
  out[0] = endX;
  out[1] = endY;
  for (let i = 0; i < walls.length; i++) collideWithBox(walls[i]!, startX, startY, out);
  if (out[0] !== endX && out[1] !== endY) {
    out[0] = endX;
    out[1] = endY;
    for (let i = walls.length - 1; i >= 0; i--) collideWithBox(walls[i]!, startX, startY, out);
  }
  return out;
}
