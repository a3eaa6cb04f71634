/**
 * A one-line progress bar, drawn only on a terminal: `[#########-----------] 9/20  SID0003623/found`.
 * Anything printed while it is shown goes through `print`, which clears the bar first.
 */
export class Progress {
  private done = 0;
  private shown = false;
  private readonly tty: boolean;

  constructor(private readonly out: NodeJS.WriteStream, private readonly total: number) {
    this.tty = !!out.isTTY && total > 0;
  }

  tick(label: string): void {
    this.done++;
    this.draw(label);
  }

  print(text: string): void {
    this.clear();
    this.out.write(text);
  }

  clear(): void {
    if (!this.shown) return;
    this.out.write('\r\x1b[2K');
    this.shown = false;
  }

  private draw(label: string): void {
    if (!this.tty) return;
    const width = 24;
    const filled = Math.round((this.done / this.total) * width);
    const head = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${this.done}/${this.total}  `;
    const room = Math.max(0, (this.out.columns || 80) - head.length - 1);
    this.out.write(`\r\x1b[2K${head}${label.length > room ? `${label.slice(0, Math.max(0, room - 1))}…` : label}`);
    this.shown = true;
  }
}
