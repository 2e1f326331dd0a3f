import { h } from '../dom';
import type { TreePane } from './treePane';

/** The two views of the main pane. */
export type ViewTab = 'timeline' | 'messages';

/** The toolbar's parts the view updates. */
export interface ViewToolbar {
  el: HTMLElement;
  /** Load progress and span count (not a live region: it changes with every chunk). */
  progress: HTMLElement;
  /** Marks `tab` selected and shows the axis buttons only on the timeline. */
  showTab(tab: ViewTab): void;
}

function button(label: string, title: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { type: 'button', title, 'aria-label': title }, label);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * The row above the panes: Timeline/Messages tabs, the search form, the time axis buttons
 * (zoom, pan, fit, zoom to the selected span) and the load progress.
 */
export function createViewToolbar(o: { search: HTMLElement; tree: TreePane; selected(): number | undefined; onTab(tab: ViewTab): void }): ViewToolbar {
  const progress = h('span', { class: 'tv-progress' }, 'loading…');
  const tabs: Record<ViewTab, HTMLButtonElement> = {
    timeline: h('button', { type: 'button', role: 'tab', 'aria-selected': 'true', class: 'tv-tab', id: 'tv-tab-timeline' }, 'Timeline'),
    messages: h('button', { type: 'button', role: 'tab', 'aria-selected': 'false', class: 'tv-tab', id: 'tv-tab-messages' }, 'Messages'),
  };
  tabs.timeline.addEventListener('click', () => o.onTab('timeline'));
  tabs.messages.addEventListener('click', () => o.onTab('messages'));
  const { tree } = o;
  const zoom = h(
    'span',
    { class: 'tv-zoom', role: 'group', 'aria-label': 'time axis' },
    button('−', 'zoom out (-)', () => tree.zoom(0.5)),
    button('+', 'zoom in (+)', () => tree.zoom(2)),
    button('◀', 'pan earlier (Shift+←)', () => tree.pan(-0.25)),
    button('▶', 'pan later (Shift+→)', () => tree.pan(0.25)),
    button('Fit', 'whole session (0)', () => tree.fit()),
    button('Span', 'zoom to the selected span', () => {
      const idx = o.selected();
      if (idx !== undefined) tree.zoomTo(idx);
    }),
  );
  const el = h('div', { class: 'tv-toolbar' }, h('div', { class: 'tv-tabs', role: 'tablist', 'aria-label': 'views' }, tabs.timeline, tabs.messages), o.search, zoom, progress);
  return {
    el,
    progress,
    showTab(tab) {
      tabs.timeline.setAttribute('aria-selected', String(tab === 'timeline'));
      tabs.messages.setAttribute('aria-selected', String(tab === 'messages'));
      zoom.hidden = tab !== 'timeline';
    },
  };
}
