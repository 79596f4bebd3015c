// The names of the IPC channels and events without their schemas. The sandboxed preload needs only
// the names; importing app/contract.ts would bundle zod and every schema into it. contract.ts
// checks at compile time that these lists are exactly its channels and events.

/** Every channel the renderer may invoke, in a stable order. */
export const channelNames = [
  'appInfo',
  'pickFolder',
  'pickLabelsCsv',
  'openFolder',
  'initialFolder',
  'recentFolders',
  'thumbnailError',
  'getSettings',
  'setSettings',
  'startJob',
  'pauseJob',
  'resumeJob',
  'cancelJob',
  'resultsPage',
  'resultDetail',
  'exportResults',
  'cancelExport',
  'credentialStatus',
  'setApiKey',
  'deleteApiKey',
  'checkApiKey',
  'apiKeyProfiles',
  'listProjects',
  'listVersions',
  'classifyUrls',
  'webImages',
  'endpointStatus',
  'corrections',
  'setCorrection',
  'undoCorrection',
  'redoCorrection',
  'groundTruth',
  'setGroundTruthMapping',
  'exportEvaluation',
  'checkKeyDraft',
  'sendPlan',
  'startSend',
  'pauseSend',
  'resumeSend',
  'cancelSend',
  'sentMarks',
  'downloadedModels',
  'downloadModel',
  'cancelModelDownload',
  'removeModel',
  'resultsColumns',
  'staleResults',
  'openStartFolder',
  'imageFacts',
] as const;

/** Every event main pushes to the renderer. */
export const eventNames = [
  'scanBatch',
  'scanDone',
  'scanProblem',
  'identitiesRead',
  'jobProgress',
  'jobItem',
  'openFolderRequest',
  'menuCommand',
  'endpointStatus',
  'exportProgress',
  'sendProgress',
  'modelDownload',
] as const;

export type ChannelName = (typeof channelNames)[number];
export type EventName = (typeof eventNames)[number];

/** The IPC channel string for a channel or event (namespaced to avoid collisions). */
export const ipcName = (name: ChannelName | EventName): string => `classify-desk:${name}`;

/** Not a contract channel and not on the page's `window.api`: the preload alone sends on it the
 *  path of an item dropped on the window (read with webUtils), which main records as chosen. */
export const droppedChannel = 'classify-desk-shell:dropped';
