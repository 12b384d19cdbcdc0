// The six-zone board: one SVG hexagon, a triangular zone per bearing. Each zone is a focusable button whose
// aria-label names its number, bearing, colour and symbols, so the colours never carry meaning alone.
import { SIXZONE_BEARINGS, type Bearing, type SixzoneRound } from '../../src/client/sixzone.js';

const SVG = 'http://www.w3.org/2000/svg';
const R = 100;
const APOTHEM = R * Math.cos(Math.PI / 6);

export const BEARING_NAMES: Record<Bearing, string> = {
  N: 'north',
  NE: 'north-east',
  SE: 'south-east',
  S: 'south',
  SW: 'south-west',
  NW: 'north-west',
};
/** Direction of each bearing in degrees, counter-clockwise from east (a flat-topped hexagon's edge midpoints). */
const DIRECTION: Record<Bearing, number> = { N: 90, NE: 30, SE: -30, S: -90, SW: -150, NW: 150 };

/** Symbol slots inside a zone, as (distance from the centre, offset along the edge) in units of R: rows of 1, 2, 3. */
const SLOTS: ReadonlyArray<readonly [number, number]> = [
  [0.34, 0],
  [0.55, -0.13],
  [0.55, 0.13],
  [0.76, -0.25],
  [0.76, 0],
  [0.76, 0.25],
];

const fmt = (n: number) => n.toFixed(2);

/** SVG coordinates of the point `along` R-units towards `deg` and `across` R-units clockwise from it. */
function point(deg: number, along: number, across = 0): [number, number] {
  const a = (deg * Math.PI) / 180;
  const x = Math.cos(a) * along + Math.sin(a) * across;
  const y = Math.sin(a) * along - Math.cos(a) * across;
  return [x * R, -y * R];
}

function el<K extends keyof SVGElementTagNameMap>(
  name: K,
  attrs: Record<string, string>,
  parent?: Element,
): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  parent?.appendChild(e);
  return e;
}

export interface Board {
  svg: SVGSVGElement;
  /** Zone buttons in bearing order N, NE, SE, S, SW, NW (zone i answers with digit i + 1). */
  zones: SVGGElement[];
  show(round: SixzoneRound): void;
  setDisabled(disabled: boolean): void;
}

/** Builds the board; `onAnswer(i)` fires when zone i is clicked or activated with Enter/Space. */
export function createBoard(onAnswer: (zone: number) => void): Board {
  const svg = el('svg', { viewBox: '-150 -128 300 256', role: 'group', 'aria-label': 'The six zones', class: 'board' });
  const zones = SIXZONE_BEARINGS.map((bearing, i) => {
    const dir = DIRECTION[bearing];
    const g = el(
      'g',
      { class: 'zone', role: 'button', tabindex: '0', 'data-zone': String(i + 1), 'data-bearing': bearing },
      svg,
    );
    const corners = [point(0, 0), point(dir - 30, 1), point(dir + 30, 1)];
    el('polygon', { class: 'zone-shape', points: corners.map(([x, y]) => `${fmt(x)},${fmt(y)}`).join(' ') }, g);
    el('g', { class: 'zone-symbols', 'aria-hidden': 'true' }, g);
    // The label sits just outside the zone's edge, anchored away from the hexagon.
    const [lx, ly] = point(dir, APOTHEM / R + 0.14);
    const anchor = Math.abs(lx) < 1 ? 'middle' : lx > 0 ? 'start' : 'end';
    el(
      'text',
      {
        class: 'zone-label',
        x: fmt(lx),
        y: fmt(ly),
        'text-anchor': anchor,
        'dominant-baseline': 'central',
        'aria-hidden': 'true',
      },
      g,
    );
    return g;
  });
  // Drawn last so that the focused zone's ring is never covered by a neighbour; dark outside, white inside,
  // so that it shows on every zone colour.
  const ring = el('g', { class: 'focus-ring', visibility: 'hidden', 'aria-hidden': 'true' }, svg);
  const ringLines = [
    el('polygon', { class: 'focus-ring-outer' }, ring),
    el('polygon', { class: 'focus-ring-inner' }, ring),
  ];

  let disabled = false;
  zones.forEach((g, i) => {
    g.addEventListener('click', () => !disabled && onAnswer(i));
    g.addEventListener('keydown', (e) => {
      const step = { ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1 }[e.key];
      if (step !== undefined) {
        e.preventDefault();
        zones[(i + step + zones.length) % zones.length]!.focus();
      } else if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        if (!disabled) onAnswer(i);
      }
    });
    g.addEventListener('focus', () => {
      if (!g.matches(':focus-visible')) return;
      for (const line of ringLines)
        line.setAttribute('points', g.querySelector('.zone-shape')!.getAttribute('points')!);
      ring.setAttribute('visibility', 'visible');
    });
    g.addEventListener('blur', () => ring.setAttribute('visibility', 'hidden'));
  });

  return {
    svg,
    zones,
    show(round) {
      zones.forEach((g, i) => {
        const bearing = SIXZONE_BEARINGS[i]!;
        const zone = round.zones.find((z) => z.bearing === bearing);
        if (!zone) throw new Error(`round ${round.round} has no zone at ${bearing}`);
        g.setAttribute('class', `zone zone-${zone.colour}`);
        g.setAttribute('data-colour', zone.colour);
        g.setAttribute(
          'aria-label',
          `Zone ${i + 1}, ${BEARING_NAMES[bearing]}, ${zone.colour}: ${zone.symbols.join(' ')}`,
        );
        const symbols = g.querySelector('.zone-symbols')!;
        symbols.replaceChildren();
        zone.symbols.forEach((s, k) => {
          const [along, across] = SLOTS[k % SLOTS.length]!;
          const [x, y] = point(DIRECTION[bearing], along, across);
          el(
            'text',
            { x: fmt(x), y: fmt(y), 'text-anchor': 'middle', 'dominant-baseline': 'central' },
            symbols,
          ).textContent = s;
        });
        g.querySelector('.zone-label')!.textContent = `${i + 1} · ${zone.colour}`;
      });
    },
    setDisabled(d) {
      disabled = d;
      for (const g of zones) g.setAttribute('aria-disabled', String(d));
    },
  };
}
