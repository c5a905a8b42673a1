// Docker's wording of archive errors.

/** moby's 404 text for HEAD/GET/PUT …/archive on a missing path (`path` as the client sent it). */
export function couldNotFindMessage(path: string, container: string): string {
  return `Could not find the file ${path} in container ${container}`;
}
