// What every lifecycle shares: the task queue and the search attributes operators filter on.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

// --- Search attributes (registered on the dev server by scripts/lib.sh) ---------------------------
export const ResellerIdKey = defineSearchAttributeKey('ResellerId', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const LifecycleKey = defineSearchAttributeKey('Lifecycle', SearchAttributeType.KEYWORD);
export const LifecycleStatusKey = defineSearchAttributeKey('LifecycleStatus', SearchAttributeType.KEYWORD);
export const SEARCH_ATTRIBUTE_NAMES = [ResellerIdKey, CustomerIdKey, LifecycleKey, LifecycleStatusKey].map(
  (k) => k.name,
);
