// The build router's backend. There is no builder yet, so no build cache to prune.
import type { Filters } from '../wire/filters.js';

export class BuildService {
  async pruneBuildCache(
    _filters: Filters,
  ): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    return { CachesDeleted: null, SpaceReclaimed: 0 };
  }
}
