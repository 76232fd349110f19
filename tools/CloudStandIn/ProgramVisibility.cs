// The stand-in is started in-process through CloudStandInServer; its entry point stays internal so that it never
// clashes with the product's Program or the ComfyUI stand-in's in projects that reference several of them.
internal partial class Program;
