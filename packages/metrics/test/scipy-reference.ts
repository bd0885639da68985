/**
 * Independent reference (scipy/numpy) for the overlap and surface metrics, run by tests through
 * runPythonReference. Input JSON: { cases: [{ p, r, shape: [nx,ny,nz], spacing, connectivity,
 * percentile, tol }] } with p/r flat arrays in x-fastest order. Output: one object per case, or null
 * metrics when a mask is empty.
 */
export const SCIPY_MASK_METRICS = String.raw`
import json, sys
import numpy as np
from scipy import ndimage

def surface(m, conn):
    st = ndimage.generate_binary_structure(3, {6: 1, 18: 2, 26: 3}[conn])
    return m & ~ndimage.binary_erosion(m, structure=st, border_value=0)

out = []
for c in json.load(sys.stdin)['cases']:
    shp = c['shape'][::-1]
    p = np.array(c['p']).reshape(shp) != 0
    r = np.array(c['r']).reshape(shp) != 0
    samp = c['spacing'][::-1]
    tp = int((p & r).sum()); fp = int((p & ~r).sum()); fn = int((~p & r).sum()); tn = int((~p & ~r).sum())
    res = dict(tp=tp, fp=fp, fn=fn, tn=tn)
    if p.any() and r.any():
        res.update(dice=2*tp/(2*tp+fp+fn), iou=tp/(tp+fp+fn), precision=tp/(tp+fp), recall=tp/(tp+fn),
                   specificity=tn/(tn+fp) if tn+fp else None, volumeSimilarity=1-abs(fn-fp)/(2*tp+fp+fn))
        sp, sr = surface(p, c['connectivity']), surface(r, c['connectivity'])
        dpr = ndimage.distance_transform_edt(~sr, sampling=samp)[sp]
        drp = ndimage.distance_transform_edt(~sp, sampling=samp)[sr]
        res.update(hausdorff=float(max(dpr.max(), drp.max())),
                   hd95=float(max(np.percentile(dpr, c['percentile']), np.percentile(drp, c['percentile']))),
                   assd=float((dpr.sum() + drp.sum()) / (dpr.size + drp.size)),
                   nsd=float(((dpr <= c['tol']).sum() + (drp <= c['tol']).sum()) / (dpr.size + drp.size)),
                   surfP=int(sp.sum()), surfR=int(sr.sum()))
    out.append(res)
print(json.dumps(out))
`;
