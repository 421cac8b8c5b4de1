"""A self-contained HTML player: ONE background PNG plus the path data, animated on a canvas in the page.

Embedding a PNG per frame (``to_jshtml``) costs tens of megabytes; the paths are a few thousand numbers. The
static layer is rendered once by Agg, every moving primitive is written as canvas pixel coordinates for all its
frames, and a small script redraws the moving parts over the image: play/pause, step back/forward, a slider.
A moving image (a decision boundary's probability field) travels as one small indexed PNG holding all its frames
quantized to a few colours, and static artists that must cover it (the data points) as one transparent PNG.
"""
from __future__ import annotations

import base64
import io
import json

import numpy as np

from .frames import FrameRenderer
from .primitives import PageContext

_CSS = """
.ov-player{display:inline-block;font:13px system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#222}
.ov-player canvas{display:block;max-width:100%;height:auto;border:1px solid #ddd}
.ov-controls{display:flex;align-items:center;gap:6px;margin-top:6px;flex-wrap:wrap}
.ov-controls button{font:inherit;padding:3px 10px;border:1px solid #bbb;border-radius:4px;background:#f7f7f7;
cursor:pointer}
.ov-controls button:hover{background:#eee}
.ov-controls input[type=range]{flex:1;min-width:160px}
.ov-controls .ov-info{font-variant-numeric:tabular-nums;min-width:9em}
"""

_JS = r"""
(function(){
var D=__DATA__, root=document.getElementById(__ID__);
var cv=root.querySelector("canvas"), ctx=cv.getContext("2d"), img=new Image();
var slider=root.querySelector("input"), info=root.querySelector(".ov-info"), playBtn=root.querySelector("[data-a=play]");
var k=D.frames-1, timer=null, lastT=0, hold=0;
function clip(c){ if(c){ctx.beginPath();ctx.rect(c[0],c[1],c[2],c[3]);ctx.clip();} }
function dot(x,y,r,fc,ec,ew){ctx.beginPath();ctx.arc(x,y,r,0,6.2832);ctx.fillStyle=fc;ctx.fill();
  if(ew>0){ctx.lineWidth=ew;ctx.strokeStyle=ec;ctx.stroke();}}
function trace(p){var n=p.counts[k], xy=p.xy; if(!n) return; ctx.save(); clip(p.clip);
  ctx.globalAlpha=p.alpha; ctx.strokeStyle=p.color; ctx.lineWidth=p.lw; ctx.lineCap=p.dash?"butt":"round";
  ctx.lineJoin="round"; ctx.setLineDash(p.dash||[]);
  ctx.beginPath(); var pen=false;
  for(var i=0;i<n;i++){var x=xy[2*i], y=xy[2*i+1]; if(x===null||y===null){pen=false;continue;}
    if(pen) ctx.lineTo(x,y); else {ctx.moveTo(x,y); pen=true;}}
  ctx.stroke(); ctx.globalAlpha=1; ctx.setLineDash([]);
  if(p.head){var hx=xy[2*n-2], hy=xy[2*n-1]; if(hx!==null&&hy!==null) dot(hx,hy,p.head.r,p.head.fc,p.head.ec,p.head.ew);}
  ctx.restore();}
function arrow(p){var s=p.seg, x0=s[4*k], y0=s[4*k+1], x1=s[4*k+2], y1=s[4*k+3];
  if(x0===null||y0===null||x1===null||y1===null) return; ctx.save(); clip(p.clip);
  var dx=x1-x0, dy=y1-y0, L=Math.sqrt(dx*dx+dy*dy); if(L<0.5){ctx.restore();return;}
  var ux=dx/L, uy=dy/L, h=Math.min(p.head, L);
  ctx.strokeStyle=p.color; ctx.fillStyle=p.color; ctx.lineWidth=p.lw; ctx.setLineDash(p.dash?[2.5*p.lw*1.4,1.5*p.lw*1.4]:[]);
  ctx.beginPath(); ctx.moveTo(x0,y0); ctx.lineTo(x1-ux*h*0.8,y1-uy*h*0.8); ctx.stroke(); ctx.setLineDash([]);
  ctx.beginPath(); ctx.moveTo(x1,y1); ctx.lineTo(x1-ux*h-uy*h*0.45,y1-uy*h+ux*h*0.45);
  ctx.lineTo(x1-ux*h+uy*h*0.45,y1-uy*h-ux*h*0.45); ctx.closePath(); ctx.fill(); ctx.restore();}
function bar(p){var x1=p.x1[k]; if(x1===null) return; ctx.fillStyle=p.color; ctx.fillRect(p.x0,p.y0,x1-p.x0,p.h);}
function label(p){var s=p.table[p.ids[k]]; if(!s) return;
  ctx.font=(p.weight==="bold"?"bold ":"")+p.size+"px "+(p.mono?"DejaVu Sans Mono,Menlo,Consolas,monospace":"DejaVu Sans,Helvetica,Arial,sans-serif");
  ctx.textAlign={left:"left",right:"right",center:"center"}[p.ha]||"left";
  ctx.textBaseline={top:"top",bottom:"bottom",center:"middle",baseline:"alphabetic"}[p.va]||"alphabetic";
  if(p.box){var w=ctx.measureText(s).width, pad=p.pad, x=p.ha==="center"?p.x-w/2:(p.ha==="right"?p.x-w:p.x);
    var y=p.va==="top"?p.y:(p.va==="bottom"?p.y-p.size:p.y-p.size/2), bw=w+2*pad, bh=p.size*1.05+2*pad;
    ctx.beginPath(); if(p.round&&ctx.roundRect) ctx.roundRect(x-pad,y-pad,bw,bh,pad); else ctx.rect(x-pad,y-pad,bw,bh);
    ctx.fillStyle=p.box; ctx.fill(); if(p.boxedge){ctx.strokeStyle=p.boxedge; ctx.lineWidth=p.boxlw; ctx.stroke();}}
  ctx.fillStyle=p.color; ctx.fillText(s,p.x,p.y);}
function samples(N,o,start,len,cells,smooth){ // per canvas pixel: its source cell (-1: outside) and the next's weight
  var i0=new Int32Array(N), f=new Float32Array(N);
  for(var i=0;i<N;i++){ var t=(o+i+0.5-start)/len; if(t<0||t>1){i0[i]=-1; continue;} var u=t*cells-0.5;
    if(!smooth){ i0[i]=Math.min(cells-1,Math.max(0,Math.floor(u+0.5))); continue; }
    u=Math.max(0,Math.min(cells-1,u)); var a=Math.min(Math.floor(u),Math.max(0,cells-2));
    i0[i]=a; f[i]=Math.min(1,u-a);}
  return {i:i0,f:f};}
function fieldSetup(p){ var c=document.createElement("canvas"); c.width=p.im.naturalWidth; c.height=p.im.naturalHeight;
  var g=c.getContext("2d"); g.drawImage(p.im,0,0); var px=g.getImageData(0,0,c.width,c.height).data, n=c.width*c.height;
  p.lv=new Uint8Array(n); for(var i=0;i<n;i++) p.lv[i]=Math.min(p.levels,Math.round(px[4*i]/p.step)); p.sw=c.width;
  var d=p.dst; p.x0=Math.floor(d[0]); p.y0=Math.floor(d[1]);
  var W=Math.max(1,Math.ceil(d[0]+d[2])-p.x0), H=Math.max(1,Math.ceil(d[1]+d[3])-p.y0);
  p.out=document.createElement("canvas"); p.out.width=W; p.out.height=H; p.octx=p.out.getContext("2d");
  p.buf=p.octx.createImageData(W,H);
  p.cx=samples(W,p.x0,d[0],d[2],p.w,p.smooth); p.cy=samples(H,p.y0,d[1],d[3],p.h,p.smooth);}
// a moving image: level numbers interpolated to every canvas pixel, then coloured (as Agg: values first, colours last)
function field(p){ if(!p.im) return; if(!p.lv) fieldSetup(p);
  var c=k%p.cols, r=(k-c)/p.cols, ox=c*p.w, oy=r*p.h, sw=p.sw, lv=p.lv, L=p.levels, pal=p.pal, out=p.buf.data;
  var W=p.out.width, H=p.out.height, cxi=p.cx.i, cxf=p.cx.f;
  for(var y=0;y<H;y++){ var ry=p.cy.i[y], fy=p.cy.f[y], o=4*y*W;
    if(ry<0){ for(var x=0;x<W;x++) out[o+4*x+3]=0; continue; }
    var r0=(oy+ry)*sw+ox, r1=fy>0?r0+sw:r0;
    for(var x=0;x<W;x++){ var q=o+4*x, rx=cxi[x]; if(rx<0){ out[q+3]=0; continue; }
      var fx=cxf[x], nx=fx>0?1:0, a=lv[r0+rx], b=lv[r0+rx+nx], e=lv[r1+rx], h=lv[r1+rx+nx], p0, t;
      if(a===L||b===L||e===L||h===L){ p0=4*L; t=0; }
      else { var v=(1-fy)*((1-fx)*a+fx*b)+fy*((1-fx)*e+fx*h), j=Math.min(Math.floor(v),L-2); t=v-j; p0=4*j; }
      var p1=t>0?p0+4:p0;
      out[q]=pal[p0]+(pal[p1]-pal[p0])*t; out[q+1]=pal[p0+1]+(pal[p1+1]-pal[p0+1])*t;
      out[q+2]=pal[p0+2]+(pal[p1+2]-pal[p0+2])*t; out[q+3]=pal[p0+3]+(pal[p1+3]-pal[p0+3])*t; } }
  p.octx.putImageData(p.buf,0,0); ctx.save(); clip(p.clip); ctx.drawImage(p.out,p.x0,p.y0); ctx.restore();}
function sprite(p){ if(p.im) ctx.drawImage(p.im,p.x,p.y); }
function mark(p){if(!p.shown[k]) return; var x=p.xy[0], y=p.xy[1], r=p.r; ctx.save(); ctx.strokeStyle="#fff";
  ctx.lineCap="round"; for(var pass=0;pass<2;pass++){ctx.lineWidth=pass?p.lw*2.2:p.lw*2.2+2*p.lw; ctx.strokeStyle=pass?p.color:"#fff";
  ctx.beginPath(); ctx.moveTo(x-r*0.7,y-r*0.7); ctx.lineTo(x+r*0.7,y+r*0.7); ctx.moveTo(x+r*0.7,y-r*0.7); ctx.lineTo(x-r*0.7,y+r*0.7); ctx.stroke();}
  ctx.restore();}
var draw={trace:trace,arrow:arrow,bar:bar,label:label,mark:mark,field:field,sprite:sprite};
function show(i){k=Math.max(0,Math.min(D.frames-1,i)); ctx.drawImage(img,0,0);
  for(var j=0;j<D.prims.length;j++) draw[D.prims[j].type](D.prims[j]);
  slider.value=k; info.textContent="frame "+(k+1)+" / "+D.frames;}
function tick(t){ if(!timer) return; if(t-lastT>=1000/D.fps){lastT=t;
    if(k>=D.frames-1){ if(hold===0){hold=t;} if(t-hold<D.hold){timer=requestAnimationFrame(tick);return;} hold=0; show(0);}
    else show(k+1);}
  timer=requestAnimationFrame(tick);}
function play(){ if(timer) return; if(k>=D.frames-1) show(0); playBtn.textContent="\u275A\u275A pause"; timer=requestAnimationFrame(tick);}
function pause(){ if(timer) cancelAnimationFrame(timer); timer=null; playBtn.textContent="\u25B6 play";}
root.querySelector(".ov-controls").addEventListener("click",function(e){var a=e.target.getAttribute("data-a"); if(!a) return;
  if(a==="play"){timer?pause():play();} else {pause(); show({first:0,prev:k-1,next:k+1,last:D.frames-1}[a]);}});
slider.addEventListener("input",function(){pause(); show(+slider.value);});
root.addEventListener("keydown",function(e){ if(e.key===" "){e.preventDefault(); timer?pause():play();}
  else if(e.key==="ArrowLeft"){pause(); show(k-1);} else if(e.key==="ArrowRight"){pause(); show(k+1);} });
var pending=1, PNG="data:image/png;base64,";
function loaded(){ if(--pending===0){ show(D.frames-1); if(D.autoplay) play(); } }
function load(p){ var im=new Image(); pending++; im.onload=loaded; im.onerror=function(){p.im=null; loaded();};
  p.im=im; im.src=PNG+p.img; }
for(var j=0;j<D.prims.length;j++){ if(D.prims[j].img) load(D.prims[j]); }
img.onload=loaded; img.onerror=loaded; img.src=PNG+D.bg;
})();
"""


def _pixels(ax, height: float):
    """data -> canvas pixels for one axes (3D axes project with the view the background was drawn with)."""
    if ax is None:
        return lambda xy: np.asarray(xy, float)[:, :2]
    if getattr(ax, "name", "") == "3d":
        from mpl_toolkits.mplot3d import proj3d

        M = ax.get_proj()

        def px3(xyz):
            xyz = np.asarray(xyz, float)
            xs, ys, _ = proj3d.proj_transform(xyz[:, 0], xyz[:, 1], xyz[:, 2], M)
            d = ax.transData.transform(np.column_stack([xs, ys]))
            d[:, 1] = height - d[:, 1]
            return d

        return px3

    def px(xy):
        d = ax.transData.transform(np.asarray(xy, float)[:, :2])
        d[:, 1] = height - d[:, 1]
        return d

    return px


def _png(rgba: np.ndarray) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB").save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def player_data(renderer: FrameRenderer, fps: float) -> dict:
    """Everything the page needs, from a renderer whose background is drawn (layout final)."""
    scene = renderer.scene
    w, h = renderer.size
    scale = scene.fig.dpi / 72.0
    prims = []
    n_traces = sum(1 for p in scene.primitives if type(p).__name__ == "Trace")
    max_points = max(400, 250_000 // max(1, n_traces))  # ~3 MB at most for the path data
    for p in scene.primitives:
        ax = getattr(p, "ax", None)
        clip = None
        if ax is not None and getattr(ax, "name", "") != "3d":
            x0, y0, x1, y1 = ax.bbox.extents
            clip = [round(x0, 1), round(h - y1, 1), round(x1 - x0, 1), round(y1 - y0, 1)]
        ctx = PageContext(_pixels(ax, h), h, scale, clip, frames=renderer)
        ctx.max_points = max_points
        prims.append(p.to_json(ctx))
    return {"frames": scene.n_frames, "fps": float(fps), "hold": 1500, "width": w, "height": h, "prims": prims,
            "bg": base64.b64encode(_png(renderer.background)).decode("ascii"), "autoplay": True}


def fragment(data: dict, element_id: str) -> str:
    """The player as an HTML fragment (for Jupyter and for the page)."""
    payload = json.dumps(data, separators=(",", ":"), allow_nan=False)
    script = _JS.replace("__DATA__", payload).replace("__ID__", json.dumps(element_id))
    return (f'<div class="ov-player" id="{element_id}" tabindex="0"><style>{_CSS}</style>'
            f'<canvas width="{data["width"]}" height="{data["height"]}"></canvas>'
            '<div class="ov-controls">'
            '<button data-a="first" title="first frame">&#x25C0;&#x25C0;</button>'
            '<button data-a="prev" title="step back">&#x25C0; step</button>'
            '<button data-a="play" title="play / pause (space)">&#x25B6; play</button>'
            '<button data-a="next" title="step forward">step &#x25B6;</button>'
            '<button data-a="last" title="last frame">&#x25B6;&#x25B6;</button>'
            f'<input type="range" min="0" max="{data["frames"] - 1}" value="{data["frames"] - 1}" aria-label="frame">'
            '<span class="ov-info"></span></div>'
            f"<script>{script}</script></div>")


def page(data: dict, title: str, description: str = "", background: str = "#fff") -> str:
    """The player as a page; ``description`` (the full configuration) goes into its description meta tag;
    ``background``: the page around the player (the figure's own colour, so a dark theme is dark all over)."""
    from html import escape

    desc = f"<meta name=\"description\" content=\"{escape(description)}\">" if description else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{escape(title)}</title>"
            + desc +
            f"<style>body{{margin:16px;background:{escape(background)}}}</style></head><body>\n"
            + fragment(data, "optiviz-player") + "\n</body></html>\n")
