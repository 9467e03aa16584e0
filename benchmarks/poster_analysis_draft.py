import numpy as np, json
from PIL import Image
from nst.tiling import seam_ratio
from nst.poster import plan_poster
from nst.params import StyleParams
from nst.print_output import crop_to_aspect
from nst.images import resize_to
from nst.model import get_feature_net
from nst.scorecard import scorecard
o='bench-out/poster/'
poster=np.load(o+'poster.npy'); run=np.load(o+'run.npy')
plan=plan_poster(4961,3508,512,StyleParams(size=512))
seam=seam_ratio(poster, plan.scales[-1].plan)
start=crop_to_aspect(run,4961,3508)
lz=np.asarray(Image.fromarray((np.clip(start,0,1)*255+.5).astype('uint8')).resize((4961,3508),Image.LANCZOS),np.float32)/255
def lap(x):
    g=x.mean(2); l=4*g[1:-1,1:-1]-g[:-2,1:-1]-g[2:,1:-1]-g[1:-1,:-2]-g[1:-1,2:]; return float((l**2).mean())
net=get_feature_net()
from nst.images import load_image
paint=load_image('/work/shared/images/style/starry_night.jpg').pixels
like=scorecard(resize_to(poster,start.shape[1],start.shape[0]),start,paint,net).structure
photo=resize_to(crop_to_aspect(load_image('/work/shared/images/content/tubingen.jpg').pixels,4961,3508),4961,3508)
pr=crop_to_aspect(np.load(o+'print.npy'),4961,3508); ph2=resize_to(photo,pr.shape[1],pr.shape[0])
def gaps(img,ph,n=256):
    H,W=img.shape[:2]; r=[]
    for fy in (0.3,0.6):
        for fx in (0.25,0.5,0.75):
            y,x=int(H*fy),int(W*fx); r.append(scorecard(img[y:y+n,x:x+n],ph[y:y+n,x:x+n],paint,net).style_gap)
    return float(np.mean(r))
res=dict(seam_ratio=round(seam,3),laplacian_poster=lap(poster),laplacian_lanczos=lap(lz),laplacian_ratio=round(lap(poster)/lap(lz),2),likeness_structure=round(like,3),style_gap_poster_crops=round(gaps(poster,photo),3),style_gap_print_crops=round(gaps(pr,ph2),3))
print(json.dumps(res)); json.dump(res,open(o+'analysis.json','w'))
Image.fromarray((np.clip(resize_to(poster,1200,849),0,1)*255+.5).astype('uint8')).save('docs/poster_scaled.jpg',quality=88)
xs,ys=plan.scales[-1].plan.borders(); x,y=xs[0],ys[0]
crop=lambda a: (np.clip(a[y-256:y+256,x-256:x+256],0,1)*255+.5).astype('uint8')
prb=resize_to(pr,4961,3508)
Image.fromarray(np.concatenate([crop(poster),crop(prb),crop(lz)],1)).save('docs/poster_crops.jpg',quality=90)
