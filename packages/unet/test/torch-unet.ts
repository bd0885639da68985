/**
 * voxnas's U-Net written with torch.nn.functional (NCDHW), for the parity test and the benchmark.
 * The Python defines `unet(x)` over two globals the caller sets: `c` (the resolved `UNetConfig`)
 * and `W` (parameter path → torch tensor in voxnas's DHWIO layout).
 */
export const TORCH_UNET_DEF = `
import torch, torch.nn.functional as F
def conv(h, w, b=None, pad=0):
    return F.conv3d(h, w.permute(4, 3, 0, 1, 2), b, padding=pad)
def block(h, p):
    for i in range(1, c['convsPerLevel'] + 1):
        h = conv(h, W[f'{p}/conv{i}/weight'], W.get(f'{p}/conv{i}/bias'), pad=1)
        n = c['norm']
        if n == 'instance':
            h = F.instance_norm(h, weight=W[f'{p}/norm{i}/gamma'], bias=W[f'{p}/norm{i}/beta'], eps=1e-5)
        elif n == 'group':
            h = F.group_norm(h, c['groups'], W[f'{p}/norm{i}/gamma'], W[f'{p}/norm{i}/beta'], eps=1e-5)
        elif n == 'batch':
            h = F.batch_norm(h, None, None, W[f'{p}/norm{i}/gamma'], W[f'{p}/norm{i}/beta'], training=True, eps=1e-5)
        h = F.relu(h)
    return h
def unet(x):
  L = c['levels']
  skips = []
  h = x
  for l in range(L):
    h = block(h, f'enc{l}')
    if l < L - 1:
      skips.append(h)
      h = F.max_pool3d(h, 2)
  for l in range(L - 2, -1, -1):
    if c['upsampling'] == 'transposed':
      h = F.conv_transpose3d(h, W[f'up{l}/weight'].permute(4, 3, 0, 1, 2), stride=2)
    else:
      h = F.interpolate(h, scale_factor=2, mode='trilinear', align_corners=False)
      h = conv(h, W[f'up{l}/conv/weight'])
    h = block(torch.cat([skips[l], h], 1), f'dec{l}')
  return conv(h, W['head/weight'], W['head/bias'])
`;
