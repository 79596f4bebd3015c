/** What a tile shows about its image's classification. */
export type TileState = 'unclassified' | 'queued' | 'running' | 'done' | 'error';
