// NiiVue: the image in grey, the label map on top with the model card's colours and names.
import { Niivue, NVImage } from '@niivue/niivue';

export interface Viewer {
  showImage(bytes: Uint8Array, name: string): Promise<void>;
  showLabels(bytes: Uint8Array, labels: Record<string, string>, colors: Record<string, [number, number, number]>): Promise<void>;
}

export async function createViewer(canvas: HTMLCanvasElement): Promise<Viewer> {
  const nv = new Niivue({ backColor: [0, 0, 0, 1], show3Dcrosshair: false, isColorbar: false, crosshairColor: [0.85, 0.85, 0.85, 0.5] });
  await nv.attachToCanvas(canvas);
  nv.setSliceType(nv.sliceTypeMultiplanar);
  let image: NVImage | undefined;
  return {
    async showImage(bytes, name) {
      while (nv.volumes.length > 0) nv.removeVolume(nv.volumes[0]!);
      image = await NVImage.loadFromUrl({ url: bytes.slice().buffer, name, colormap: 'gray' });
      nv.addVolume(image);
    },
    async showLabels(bytes, labels, colors) {
      while (nv.volumes.length > 1) nv.removeVolume(nv.volumes[nv.volumes.length - 1]!);
      const overlay = await NVImage.loadFromUrl({ url: bytes.slice().buffer, name: 'labels.nii.gz', opacity: 0.55 });
      const values = Object.keys(colors).map(Number).sort((a, b) => a - b);
      const max = Math.max(...values, 1);
      const lut = { R: [] as number[], G: [] as number[], B: [] as number[], A: [] as number[], I: [] as number[], labels: [] as string[] };
      for (let v = 0; v <= max; v++) {
        const [r, g, b] = colors[String(v)] ?? [128, 128, 128];
        lut.R.push(r);
        lut.G.push(g);
        lut.B.push(b);
        lut.A.push(v === 0 ? 0 : 255); // background transparent
        lut.I.push(v);
        lut.labels.push(labels[String(v)] ?? String(v));
      }
      overlay.setColormapLabel(lut);
      nv.addVolume(overlay);
      nv.updateGLVolume();
    },
  };
}
