/**
 * @internal Test-only: an independent nnU-Net-style fingerprint, target spacing and preprocessing in
 * numpy/scipy/nibabel (files read with nibabel), run at test time by the planning tests.
 *
 * Input JSON: { root, target?: [x,y,z] (spacing to preprocess to; default the rule's own) }.
 * Output: fingerprint (per case shape, zooms, axcodes, non-zero box, class voxels, smallest 6-connected
 * component per class; per channel foreground mean/std/percentiles), the rule's target spacing, and
 * per case the preprocessed image (channels planar, x fastest), labels and the argmax margin.
 */
export const PLANNING_REFERENCE = `
import json, sys, numpy as np, nibabel as nib
from scipy.ndimage import binary_fill_holes, label as cc, map_coordinates
a = json.load(sys.stdin)
root = a['root']
ds = json.load(open(root + '/dataset.json'))
mods = [ds['modality'][k] for k in sorted(ds['modality'], key=int)]
cases, imgs, segs, sps = [], [], [], []
for t in ds['training']:
    im = nib.load(root + '/' + t['image']); se = nib.load(root + '/' + t['label'])
    d = np.asarray(im.dataobj, dtype=np.float64)
    if d.ndim == 3: d = d[..., None]
    s = np.asarray(se.dataobj).astype(np.int64)
    sp = [float(z) for z in im.header.get_zooms()[:3]]
    mask = binary_fill_holes(np.any(d != 0, axis=3))
    idx = np.argwhere(mask); lo = idx.min(0); hi = idx.max(0) + 1
    cv, sm = {}, {}
    for v in np.unique(s):
        cv[str(int(v))] = int((s == v).sum())
        if v != 0:
            l, n = cc(s == v)
            sm[str(int(v))] = int(np.bincount(l.ravel())[1:].min())
    cases.append({'shape': list(d.shape[:3]), 'spacing': sp, 'orientation': ''.join(nib.aff2axcodes(im.affine)),
                  'box': [lo.tolist(), hi.tolist()], 'classVoxels': cv, 'smallest': sm})
    imgs.append(d); segs.append(s); sps.append(sp)
C = imgs[0].shape[3]
fg = [np.concatenate([d[..., c][s > 0] for d, s in zip(imgs, segs)]) for c in range(C)]
channels = [{'mean': float(f.mean()), 'sd': float(f.std()), 'p00_5': float(np.percentile(f, 0.5)),
             'p99_5': float(np.percentile(f, 99.5)), 'min': float(f.min()), 'max': float(f.max()), 'voxels': int(len(f))} for f in fg]
sizes = np.array([np.array(c['box'][1]) - np.array(c['box'][0]) for c in cases])
S = np.array(sps)
target = np.percentile(S, 50, 0)
tsize = np.percentile(sizes, 50, 0)
worst = int(np.argmax(target)); other = [i for i in range(3) if i != worst]
if target[worst] > 3 * max(target[i] for i in other) and tsize[worst] * 3 < min(tsize[i] for i in other):
    t = np.percentile(S[:, worst], 10)
    if t < max(target[i] for i in other): t = max(max(target[i] for i in other), t) + 1e-5
    target[worst] = t
rule_target = target.tolist()
tgt = np.array(a.get('target') or rule_target)
kept = np.median([np.prod(z) / np.prod(c['shape']) for z, c in zip(sizes, cases)])
use_mask = bool(kept < 0.75)

def along(v, a_, n_out, f, order):
    shp = list(v.shape); shp[a_] = n_out
    g = np.meshgrid(*[np.arange(k, dtype=np.float64) for k in shp], indexing='ij')
    g[a_] = (g[a_] + 0.5) * f - 0.5
    return map_coordinates(v, np.stack(g, 0), order=order, mode='nearest')

out = []
for c, d, s, sp in zip(cases, imgs, segs, sps):
    (x0, y0, z0), (x1, y1, z1) = c['box']
    d = d[x0:x1, y0:y1, z0:z1]; s = s[x0:x1, y0:y1, z0:z1]
    full = binary_fill_holes(np.any(imgs[cases.index(c)] != 0, axis=3))[x0:x1, y0:y1, z0:z1]
    nd = np.empty_like(d)
    for k in range(C):
        x = d[..., k]
        if mods[k].strip().upper() == 'CT':
            st = channels[k]
            nd[..., k] = (np.clip(x, st['p00_5'], st['p99_5']) - st['mean']) / max(st['sd'], 1e-8)
        elif use_mask:
            y = np.zeros_like(x); y[full] = (x[full] - x[full].mean()) / (x[full].std() or 1); nd[..., k] = y
        else:
            nd[..., k] = (x - x.mean()) / (x.std() or 1)
    sp = np.array(sp)
    sep = None
    if np.any(np.abs(sp - tgt) > 1e-6 * tgt):
        if sp.max() / sp.min() > 3: sep = int(np.argmax(sp))
        elif tgt.max() / tgt.min() > 3: sep = int(np.argmax(tgt))
        f = tgt / sp
        shape = [max(1, int(round(n * q / t))) for n, q, t in zip(nd.shape[:3], sp, tgt)]
        res = []
        for k in range(C):
            v = nd[..., k]
            for ax in range(3): v = along(v, ax, shape[ax], f[ax], 0 if ax == sep else 3)
            res.append(v)
        nd = np.stack(res, -1)
        classes = np.unique(s); maps = []
        for k in classes:
            v = (s == k).astype(np.float64)
            for ax in range(3): v = along(v, ax, shape[ax], f[ax], 0 if ax == sep else 1)
            maps.append(v)
        M = np.stack(maps, 0)[::-1]
        s = classes[::-1][np.argmax(M, 0)]
        srt = np.sort(M, 0); margin = srt[-1] - (srt[-2] if len(classes) > 1 else 0)
    else:
        margin = np.ones(s.shape)
    out.append({'image': np.concatenate([nd[..., k].ravel(order='F') for k in range(C)]).tolist(), 'shape': list(nd.shape[:3]),
                'labels': s.ravel(order='F').tolist(), 'margin': margin.ravel(order='F').tolist(), 'separateAxis': sep})
print(json.dumps({'cases': cases, 'channels': channels, 'target': rule_target, 'useMask': use_mask, 'prepared': out}))
`;
