/** A readable problem with user input: shown on the page, never thrown to the console. */
export class InputProblem extends Error {}
